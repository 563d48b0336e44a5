"""The HTTP API root: /api/v1/ (routers live in api/<domain>.py)."""

from ninja import NinjaAPI

api = NinjaAPI(title="ratepayer API", version="1", urls_namespace="api")
