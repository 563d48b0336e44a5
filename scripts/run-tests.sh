#!/usr/bin/env bash
# The whole suite on SQLite, then on a real PostgreSQL server started here.
# A missing PostgreSQL is an error, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export RATEPAYER_TESTING=1
PYTEST=(.venv/bin/python -m pytest -q -p no:randomly "$@")

echo "== lint (ruff) =="
.venv/bin/ruff check src tests bench

echo "== tests on SQLite =="
RATEPAYER_DATABASE_URL= "${PYTEST[@]}"

pgdir=$(mktemp -d /tmp/ratepayer-pg.XXXXXX)
port=$(( 55000 + RANDOM % 5000 ))
trap 'bash scripts/pg-temp.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
url=$(bash scripts/pg-temp.sh start "$pgdir" "$port")
echo "== tests on PostgreSQL ($url) =="
RATEPAYER_DATABASE_URL="$url" "${PYTEST[@]}"
