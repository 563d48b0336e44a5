"""What every endpoint shares: the error body, the write-endpoint decorator.

A write endpoint is declared with ``write(router, path, ...)`` instead of
``router.post``: it requires the ``Idempotency-Key`` (api.idempotency),
documents every error status with the ``Problem`` body, and takes an
operation id so clients and the console-coverage test find it by name.
Endpoints return ``ninja.Status(status, schema instance)``.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict

from .idempotency import idempotent


class Problem(Schema):
    """Every error: a stable ``code`` to branch on, the clerk's ``message``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "permission_refused", "message": "assistant is not allowed to make adjustments.",
        "detail": "assistant is not allowed to make adjustments."}]})

    code: str
    message: str
    detail: Any = None


READ_ERRORS: dict[int, type] = {401: Problem, 403: Problem, 404: Problem, 422: Problem}
WRITE_ERRORS: dict[int, type] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem,
                                 422: Problem}


def examples(*values: dict) -> ConfigDict:
    """A schema's ``model_config`` with examples for the OpenAPI document."""
    return ConfigDict(json_schema_extra={"examples": list(values)})


def write(router, path: str, *, response: dict[int, type], operation_id: str, summary: str,
          description: str | None = None, secret: tuple[str, ...] = (), **kwargs):
    """``router.post`` for an action: idempotency key, error bodies, operation id.
    ``secret``: answer fields never stored with the idempotency key (api.idempotency)."""

    def decorator(view):
        return router.post(path, response={**WRITE_ERRORS, **response}, operation_id=operation_id,
                           summary=summary, description=description or (view.__doc__ or "").strip() or None,
                           **kwargs)(idempotent(view, secret=secret))

    return decorator


def read(router, path: str, *, response: dict[int, type], operation_id: str, summary: str, **kwargs):
    """``router.get`` with the error bodies and an operation id."""

    def decorator(view):
        return router.get(path, response={**READ_ERRORS, **response}, operation_id=operation_id,
                          summary=summary, **kwargs)(view)

    return decorator


def curl_example(path: str, fields: str) -> dict:
    """``openapi_extra`` for a file upload: an example request (its body is a form, not JSON,
    so it has no schema example); the example test accepts either."""
    return {"x-codeSamples": [{"lang": "shell", "label": "curl", "source": (
        f"curl -X POST https://ratepayer.example.org/api/v1{path} \\\n"
        "  -H 'Authorization: Bearer rp_...' -H 'Idempotency-Key: 6f1c1b3e-2f4a-4c8e-9d0b-0c7d3f6a9e12' \\\n"
        f"  {fields}")}]}
