"""Bearer-token authentication for the API.

A request carries ``Authorization: Bearer rp_...``: a personal token made with
``ratepayer token create``. The token's user then acts exactly as in the
console: every endpoint checks the same capabilities, and the audit trail
records that user, the client address and the channel "api".
"""

from __future__ import annotations

from ninja.security import HttpBearer

from ratepayer.staff import context, permissions
from ratepayer.staff.actions import authenticate_api_token
from ratepayer.staff.middleware import client_address


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = authenticate_api_token(token.strip())
        if user is None:
            return None  # ninja answers 401
        # A token outlives role changes: someone moved out of every API role
        # keeps the token row but is refused here (403, not 401: the token is good).
        permissions.require(user, "api.use", "use the HTTP API")
        request.user = user
        # The middleware set the audit context before authentication; replace it
        # for this request (the middleware's reset restores the outer value).
        context.set_for_request(user.pk, client_address(request), "api")
        return user
