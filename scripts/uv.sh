#!/usr/bin/env bash
# Run uv, installing it first if this machine has none.
#
# A fresh Debian has python3 but no uv, and its pip refuses to install into the
# system Python (PEP 668). So uv goes into a private virtual environment,
# .uv-bootstrap/ in the project; if Debian's python3-venv (ensurepip) is
# missing too, it is installed from Debian's packages first (as root).
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
        if [ "$(id -u)" != 0 ]; then
            echo "python3 cannot create a virtual environment: install Debian's python3-venv" >&2
            exit 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
        "$PYTHON" -m venv "$tools"
    fi
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi
exec "$tools/bin/uv" "$@"
