"""Shared helpers for the file-format tests.

``reference_dir()`` locates the shared sample files (``<repo root>/../shared/reference``);
it raises when they are missing, so the tests fail rather than skip. It lives in
``formats_reference.py`` so that test modules can import it unambiguously.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from formats_reference import REFERENCE, reference_dir

__all__ = ["REFERENCE", "reference", "reference_dir"]


@pytest.fixture
def reference() -> Path:
    return reference_dir()
