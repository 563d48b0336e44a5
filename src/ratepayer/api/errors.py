"""Errors of the API: a stable machine-readable ``code`` beside the clerk's ``message``.

Every error body is ``{"code": "...", "message": "...", "detail": ...}``:
``code`` never changes once published (clients branch on it), ``message`` is
the sentence the console would show, and ``detail`` is the message again, or
for a request that does not validate (422) the list of problems, each with
its ``loc`` (["query", "offset"], ["body", "amount"]).

Domain exceptions are mapped here by class, most specific first, so an
endpoint lets the action's own exception through and the client gets the
same words as the clerk. An exception class or instance may carry its own
``code`` attribute (and ``http_status``), which wins over this table: a new
app gives its errors codes where it defines them.
"""

from __future__ import annotations

from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ratepayer.billing.errors import BillingError
from ratepayer.collections.errors import CollectionsError, HeatAlertsRefused
from ratepayer.customers.errors import CustomerError
from ratepayer.formats.errors import FormatError
from ratepayer.kernel.money import MoneyError
from ratepayer.ledger.errors import LedgerError
from ratepayer.metering.errors import AlreadyImported, ImportRejected, MeteringError
from ratepayer.outbox.errors import OutboxError
from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.rates.errors import RatesError
from ratepayer.staff.errors import ApprovalError, PermissionRefused, StaffError


class ApiError(Exception):
    """Raised by an endpoint for a refusal that is not a domain exception."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.http_status = status
        self.code = code


# (exception class, HTTP status, code) — first match wins, so subclasses come first.
DOMAIN_ERRORS: list[tuple[type[Exception], int, str]] = [
    (PermissionRefused, 403, "permission_refused"),
    (ApprovalError, 409, "approval_refused"),
    (AlreadyImported, 409, "already_imported"),
    (ImportRejected, 400, "file_refused"),
    (ImportRefused, 400, "file_refused"),
    (FormatError, 400, "file_refused"),
    (MoneyError, 400, "invalid_amount"),
    (BillingError, 400, "billing_refused"),
    (PaymentError, 400, "payment_refused"),
    (MeteringError, 400, "metering_refused"),
    (LedgerError, 400, "ledger_refused"),
    (CustomerError, 400, "customer_refused"),
    (RatesError, 400, "rates_refused"),
    (StaffError, 400, "staff_refused"),
    (OutboxError, 400, "outbox_refused"),
    (CollectionsError, 400, "collections_refused"),  # each subclass names its own code
]

HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "permission_refused", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "throttled"}


def body(code: str, message: str, detail=None) -> dict:
    return {"code": code, "message": message, "detail": message if detail is None else detail}


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form"))
        parts.append(f"{where}: {error.get('msg', 'is not valid')}" if where else error.get("msg", "is not valid"))
    return "; ".join(parts) + ". Nothing was changed."


def install(api) -> None:
    """Register the handlers on the NinjaAPI instance."""

    def respond(request, status: int, payload: dict, **headers):
        response = api.create_response(request, payload, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(request, 401, body("unauthenticated",
                                          "Send a valid API token as 'Authorization: Bearer <token>'; "
                                          "this one is missing, unknown or revoked."),
                       **{"WWW-Authenticate": 'Bearer realm="ratepayer"'})

    @api.exception_handler(ValidationError)
    def _invalid(request, exc):
        return respond(request, 422, body("invalid", _validation_message(exc.errors), exc.errors))

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        return respond(request, exc.status_code,
                       body(HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"), str(exc)))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, body("not_found", str(exc) or "Not found."))

    @api.exception_handler(ApiError)
    def _api_error(request, exc):
        return respond(request, exc.http_status, body(exc.code, str(exc)))

    def _domain(request, exc):
        status, code = 400, "refused"
        for cls, cls_status, cls_code in DOMAIN_ERRORS:
            if isinstance(exc, cls):
                status, code = cls_status, cls_code
                break
        code = getattr(exc, "code", None) or code
        status = getattr(exc, "http_status", None) or status
        detail = None
        if isinstance(exc, ImportRejected):
            detail = [str(p) for p in exc.problems]
        elif isinstance(exc, (ImportRefused, HeatAlertsRefused)):
            detail = list(exc.problems)
        return respond(request, status, body(code, str(exc), detail))

    for cls, _status, _code in DOMAIN_ERRORS:
        api.add_exception_handler(cls, _domain)


def found(query, message: str, **filters):
    """The one row of ``query`` (a model or queryset) matching ``filters``, or 404 ``not_found`` with
    ``message`` (which says what was looked for and that nothing was changed)."""
    manager = getattr(query, "_default_manager", None)
    row = (manager.all() if manager is not None else query).filter(**filters).first()
    if row is None:
        raise ApiError(404, "not_found", message)
    return row
