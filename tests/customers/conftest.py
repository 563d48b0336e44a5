# The console's plain-HTTP fixture serves the customer pages too (signed_in is in tests/conftest.py).
from tests.console.conftest import _plain_http  # noqa: F401
