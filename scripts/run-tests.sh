#!/usr/bin/env bash
# The whole suite on SQLite, then on a real PostgreSQL server started here.
# A missing PostgreSQL is an error, never a skip. Both runs always happen; the
# script fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export RATEPAYER_TESTING=1
mkdir -p var  # the default SQLite database lives here; a test that needs no database still opens its settings
PYTEST=(.venv/bin/python -m pytest -q -p no:randomly "$@")

echo "== lint (ruff) =="
.venv/bin/ruff check src tests bench || exit 1

echo "== types (mypy on the pure packages) =="
.venv/bin/mypy src/ratepayer/kernel src/ratepayer/rating src/ratepayer/formats || exit 1

echo "== tests on SQLite =="
RATEPAYER_DATABASE_URL= "${PYTEST[@]}"
sqlite_status=$?

pgdir=$(mktemp -d /tmp/ratepayer-pg.XXXXXX)
port=$(( 55000 + RANDOM % 5000 ))
trap 'bash scripts/pg-temp.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
url=$(bash scripts/pg-temp.sh start "$pgdir" "$port") || { echo "could not start PostgreSQL" >&2; exit 1; }
echo "== tests on PostgreSQL ($url) =="
RATEPAYER_DATABASE_URL="$url" "${PYTEST[@]}"
pg_status=$?

echo "== SQLite: exit $sqlite_status; PostgreSQL: exit $pg_status =="
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
