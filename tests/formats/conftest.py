"""Shared helpers for the file-format tests.

The third-party sample files live outside the repository, in
``<repo root>/../shared/reference`` (``RATEPAYER_REFERENCE_DIR`` overrides it); they are
read from there, never copied. A contributor's clone has no ``../shared``: then every
test that reads a sample is skipped with that reason (tests/conftest.py turns the
FileNotFoundError of a missing sample into the skip), and the suite's own files
(tests/formats/samples.py and the mutation corpus) still test every format. CI has the
folder, so there the samples are the oracle they are meant to be.
Test modules import it as ``from tests.formats.conftest import reference_dir``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE = Path(os.environ.get("RATEPAYER_REFERENCE_DIR")
                 or Path(__file__).resolve().parents[2] / ".." / "shared" / "reference")
MISSING = (f"the shared reference samples are not beside this checkout ({REFERENCE}); tests reading them are "
           "skipped, the suite's own generated files are tested instead")


def reference_available() -> bool:
    return REFERENCE.is_dir()


def reference_dir(*parts: str) -> Path:
    """The path of a reference folder or file. Never raises at import: a test that
    opens a missing sample is skipped (see the module docstring)."""
    return REFERENCE.joinpath(*parts)


@pytest.fixture
def reference() -> Path:
    if not reference_available():
        pytest.skip(MISSING)
    return reference_dir()


needs_samples = pytest.mark.skipif(not reference_available(), reason=MISSING)
