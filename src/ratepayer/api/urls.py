"""The HTTP API root: /api/v1/.

One router module per domain app (api/customers.py, and later api/billing.py,
api/payments.py, ...), each mounted below with its own tag. Every endpoint
authenticates with a personal bearer token (api/auth.py) and checks the same
capabilities as the console; errors are JSON ``{"detail": "..."}``.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from ratepayer.staff.errors import PermissionRefused

from . import customers
from .auth import ApiTokenAuth


class RatepayerAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        # Customer data must not linger in browser or proxy caches.
        response["Cache-Control"] = "no-store"
        return response


api = RatepayerAPI(
    title="ratepayer API",
    version="1",
    description=(
        "Read access to customers, accounts, service agreements, balances and receivable transactions. "
        "Authenticate with `Authorization: Bearer <token>` (a personal token from `ratepayer token create`). "
        "Amounts are decimal strings with two places."
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = api.create_response(
        request,
        {"detail": "Send a valid API token as 'Authorization: Bearer <token>'; "
                   "this one is missing, unknown or revoked."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="ratepayer"'
    return response


@api.exception_handler(PermissionRefused)
def _refused(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=403)


api.add_router("/", customers.router, tags=["customers and accounts"])
