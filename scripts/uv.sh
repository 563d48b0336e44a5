#!/usr/bin/env bash
# Run uv, installing it first if this machine has none.
#
# A fresh Debian has python3 but no uv, and its pip refuses to install into the
# system Python (PEP 668). So uv goes into a private virtual environment,
# .uv-bootstrap/ in the project; if Debian's python3-venv (ensurepip) is
# missing too, pip itself is fetched with get-pip.py first.
set -euo pipefail
PYTHON=${PYTHON:-python3}
if command -v uv >/dev/null 2>&1; then exec uv "$@"; fi
if "$PYTHON" -m uv --version >/dev/null 2>&1; then exec "$PYTHON" -m uv "$@"; fi
tools="$(cd "$(dirname "$0")/.." && pwd)/.uv-bootstrap"
if [ ! -x "$tools/bin/uv" ]; then
    echo "uv not found: installing it into $tools (once)" >&2
    rm -rf "$tools"
    if ! "$PYTHON" -m venv "$tools" >/dev/null 2>&1; then
        rm -rf "$tools"
        "$PYTHON" -m venv --without-pip "$tools"
        "$tools/bin/python" -c "import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])" \
            https://bootstrap.pypa.io/get-pip.py "$tools/get-pip.py"
        "$tools/bin/python" "$tools/get-pip.py" --quiet --disable-pip-version-check
    fi
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi
exec "$tools/bin/uv" "$@"
