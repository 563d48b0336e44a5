#!/usr/bin/env bash
# Extracts every translatable string (Python, templates) into the catalogs
# src/ratepayer/locale/<lang>/LC_MESSAGES/django.po, keeping the translations
# already there: `bash scripts/make-messages.sh es ru` (or a new language code).
# Then translate the new entries and run `make messages` to compile them.
# See docs/operator-guide/languages.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 LANGUAGE_CODE..." >&2; exit 2; }
args=()
for code in "$@"; do args+=(-l "$code"); done
RATEPAYER_DEBUG=1 .venv/bin/ratepayer makemessages "${args[@]}" --add-location=file --no-obsolete \
  --ignore 'tests/*' --ignore 'bench/*' --ignore 'var/*' --ignore 'build/*' --ignore 'test-artifacts/*' \
  --ignore 'docs/*' --ignore 'scripts/*'
