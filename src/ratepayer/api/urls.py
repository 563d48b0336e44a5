"""The HTTP API root: /api/v1/.

One router module per domain app (api/customers.py, api/billing.py,
api/payments.py, api/metering.py, api/rates.py, api/staff.py), each mounted below with its
own tag. Every endpoint authenticates with a personal bearer token
(api/auth.py) and checks the same capabilities as the console by calling
the same actions. What every endpoint shares — how to declare a write
endpoint, the idempotency key, error codes, paging — is in api/schemas.py,
api/idempotency.py, api/errors.py and api/pagination.py; the operator
guide's api.md explains it to clients.
"""

from __future__ import annotations

import copy

from ninja import NinjaAPI, Swagger

from . import billing, collections, customers, errors, metering, outbox, payments, rates, staff
from .auth import ApiTokenAuth
from .idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER


class RatepayerAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        # Customer data must not linger in browser or proxy caches.
        response["Cache-Control"] = "no-store"
        if getattr(request, "idempotent_replay", False):
            response[REPLAYED_HEADER] = "true"
        return response

    def get_openapi_operation_id(self, operation) -> str:
        # The view's own name (create_adjustment, get_account): stable for clients, unique (a test checks).
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        # Built once per process: the routes do not change after start-up, and building the
        # document for ~70 operations takes seconds (the docs page and every client fetch it).
        key = (path_prefix, repr(sorted((path_params or {}).items())))
        cache = self.__dict__.setdefault("_schema_cache", {})
        if key not in cache:
            cache[key] = self._build_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return copy.deepcopy(cache[key])

    def _build_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # Every POST requires the key (api.idempotency); say so on each operation.
        for methods in schema["paths"].values():
            operation = methods.get("post")
            if operation is not None:
                operation.setdefault("parameters", []).append({
                    "in": "header", "name": HEADER, "required": True,
                    "description": "a value you choose per action (a UUID); send the same one to retry safely",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                    "example": "6f1c1b3e-2f4a-4c8e-9d0b-0c7d3f6a9e12",
                })
        return schema


api = RatepayerAPI(
    title="ratepayer API",
    version="1",
    description=(
        "Customers, accounts, balances and transactions, and an endpoint for every action a clerk can take in the "
        "console, with the same permission checks and approval limits. "
        "Authenticate with `Authorization: Bearer <token>` (a personal token from `ratepayer token create`). "
        "Every POST needs an `Idempotency-Key` header. Errors are `{\"code\", \"message\", \"detail\"}` with a "
        "stable `code`. Amounts are decimal strings with two places."
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
    # The schema section (a hundred models) made the page slow to draw; each operation shows its own.
    docs=Swagger(settings={"defaultModelsExpandDepth": -1}),
)
errors.install(api)

api.add_router("/", customers.router, tags=["customers and accounts"])
api.add_router("/", billing.router, tags=["billing"])
api.add_router("/", payments.router, tags=["payments"])
api.add_router("/", metering.router, tags=["meter reads"])
api.add_router("/", rates.router, tags=["rates"])
api.add_router("/", staff.router, tags=["approvals and staff"])
api.add_router("/", outbox.router, tags=["outgoing e-mail"])
for collections_router, tag in collections.ROUTERS:
    api.add_router("/", collections_router, tags=[tag])
