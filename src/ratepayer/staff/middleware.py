from __future__ import annotations

from . import context


def client_address(request) -> str | None:
    # Only trust X-Forwarded-For when deployed behind a proxy we control.
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Records the acting user and client address for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        channel = "api" if request.path.startswith("/api/") else "console"
        token = context.set_for_request(user_id, client_address(request), channel)
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
