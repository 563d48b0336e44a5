"""Where the shared sample files are: ``<repo root>/../shared/reference``.

They are read from there, never copied into the repository. If the folder is missing
the tests fail (they do not skip): a missing oracle must not look like a pass.
(A uniquely named module rather than ``from conftest import …``, which is ambiguous
when several test folders have a conftest.py.)
"""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"


def reference_dir(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"shared reference data missing: {path}")
    return path
