"""Staff pages, and the one decorator every staff page of every app stands behind.

``staff_page`` is the single gate of the console: signed-in staff only, the
role's capability checked when the page names one, a refused action
(``PermissionRefused``, raised by the actions whatever the page showed)
rendered as a 403 page that says why, and never cached — the pages carry
customer details, and a shared or back-button cache must not show them to
the next person at the counter. A test walks every URL pattern and refuses a
staff page that is not wrapped by it."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache

from . import permissions
from .errors import PermissionRefused
from .roles import CAPABILITIES

# Set on every view staff_page returns; tests/staff/test_staff_page.py walks the
# URL patterns and requires it on every page outside the sign-in and the API.
STAFF_PAGE_MARK = "ratepayer_staff_page"


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def staff_page(view=None, *, capability: str | None = None, doing: str | None = None):
    """Wrap a staff page: ``@staff_page`` or ``@staff_page(capability="billing.run", doing="run bills")``.

    ``capability`` is checked before the view runs (``doing`` words the refusal);
    pages whose check depends on the request (GET to look, POST to change) call
    ``permissions.require`` themselves and raise into the same 403 page. An htmx
    request whose session has ended sends the whole page to the sign-in form
    instead of swapping the form into a corner of the page."""
    if capability is not None and capability not in CAPABILITIES:
        raise ValueError(f"staff_page: unknown capability {capability!r}")
    if view is None:
        return functools.partial(staff_page, capability=capability, doing=doing)

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        try:
            if capability is not None:
                permissions.require(request.user, capability, doing)
            return view(request, *args, **kwargs)
        except PermissionRefused as exc:
            return render(request, "staff/403.html", {"message": str(exc)}, status=403)

    signed_in_only = login_required(checked)

    @functools.wraps(view)
    def entry(request, *args, **kwargs):
        if is_htmx(request) and not request.user.is_authenticated:
            back_to = request.headers.get("HX-Current-URL", "")
            back_to = back_to if url_has_allowed_host_and_scheme(back_to, allowed_hosts={request.get_host()}) else "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back_to})}"
            return response
        return signed_in_only(request, *args, **kwargs)

    page = never_cache(entry)
    setattr(page, STAFF_PAGE_MARK, True)
    return page
