#!/usr/bin/env bash
# Compiles the gettext catalogs (src/ratepayer/locale/*/LC_MESSAGES/django.po ->
# django.mo) with Django's compilemessages, which runs GNU gettext's msgfmt.
# Installs Debian's gettext when it is missing and we are root (as
# install-system-test-deps.sh does for other packages). Compiled catalogs are
# build output, never committed (.gitignore). Idempotent and quick.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v msgfmt >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "compiling the translations needs GNU gettext's msgfmt: install the Debian package gettext" >&2
    exit 1
  fi
  echo "installing: gettext"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends gettext >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext >/dev/null; }
fi
# run inside the package: compilemessages then needs no settings (it compiles every locale/ below)
cd src/ratepayer
../../.venv/bin/django-admin compilemessages --ignore '*/site-packages/*' >/dev/null
