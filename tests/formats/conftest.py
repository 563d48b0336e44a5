"""Shared helpers for the file-format tests.

The sample files live outside the repository, in ``<repo root>/../shared/reference``;
they are read from there, never copied. ``reference_dir()`` raises when that folder (or
the part asked for) is missing, so the tests fail — they do not skip: a missing oracle
must not look like a pass. Test modules import it as
``from tests.formats.conftest import reference_dir``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"


def reference_dir(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"shared reference data missing: {path}")
    return path


@pytest.fixture
def reference() -> Path:
    return reference_dir()
