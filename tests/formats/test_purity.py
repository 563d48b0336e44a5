"""formats/ is layer 1: importing it must not import Django (DESIGN §3)."""

from __future__ import annotations

import subprocess
import sys


def test_formats_do_not_import_django():
    code = (
        "import sys\n"
        "import ratepayer.formats.nacha, ratepayer.formats.bai2, ratepayer.formats.lockbox\n"
        "import ratepayer.formats.scanline, ratepayer.formats.greenbutton, ratepayer.formats.errors\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
