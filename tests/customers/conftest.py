# The console's sign-in fixtures serve the customer pages too.
from tests.console.conftest import _plain_http, signed_in  # noqa: F401
