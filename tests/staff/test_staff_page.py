"""Every staff page stands behind the one decorator (staff.views.staff_page):
signed-in only, never cached, a refused action a 403 page that says why.

The walk covers every URL pattern of the project, so a page a new app adds
without the decorator fails here rather than being cached with customer data."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.views import STAFF_PAGE_MARK, staff_page

# Pages a person reaches before signing in, and the API (token-authenticated,
# its own checks and cache headers): not staff pages.
NOT_STAFF_PAGES = {"login", "logout"}
NOT_STAFF_PREFIXES = ("api/", "admin/")


def _patterns(resolvers=None, prefix="", namespace=""):
    for entry in (resolvers if resolvers is not None else get_resolver().url_patterns):
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, namespace, entry


def staff_patterns():
    return [(route, namespace, entry) for route, namespace, entry in _patterns()
            if not route.startswith(NOT_STAFF_PREFIXES) and entry.name not in NOT_STAFF_PAGES]


def _url(namespace: str, entry: URLPattern) -> str:
    kwargs = {name: 1 if isinstance(converter, IntConverter) else "X1"
              for name, converter in entry.pattern.converters.items()}
    return reverse(f"{namespace}:{entry.name}" if namespace else entry.name, kwargs=kwargs)


def test_the_walk_sees_every_app_with_pages():
    namespaces = {namespace for _, namespace, _ in staff_patterns()}
    assert {"console", "billing", "payments", "metering", "rates"} <= namespaces
    assert len(staff_patterns()) > 50


@pytest.mark.parametrize("route,namespace,entry", staff_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_staff_page_is_wrapped_by_staff_page(route, namespace, entry):
    assert getattr(entry.callback, STAFF_PAGE_MARK, False), (
        f"{route} ({entry.lookup_str}) is not behind ratepayer.staff.views.staff_page")


@pytest.mark.django_db
def test_every_staff_page_sends_a_stranger_to_sign_in_and_is_not_cached(client):
    for route, namespace, entry in staff_patterns():
        url = _url(namespace, entry)
        response = client.get(url, secure=True)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), route
        assert "no-store" in response["Cache-Control"], route


# --- the decorator itself ----------------------------------------------------------

def _view(request):
    return HttpResponse("the page")


def _refusing_view(request):
    raise PermissionRefused("specialist is not allowed to run bills.")


@pytest.mark.django_db
def test_a_capability_named_by_the_page_is_checked_before_it_runs(users):
    ran = []

    @staff_page(capability="rates.approve", doing="approve rates")
    def run_page(request):
        ran.append(True)
        return HttpResponse("ran")

    request = RequestFactory().get("/rates/")
    request.user = users["specialist"]
    response = run_page(request)
    assert response.status_code == 403 and "specialist is not allowed to approve rates." in response.content.decode()
    assert "Nothing was changed" in response.content.decode() and not ran
    assert "no-store" in response["Cache-Control"]
    request.user = users["supervisor"]
    assert run_page(request).content == b"ran" and ran


@pytest.mark.django_db
def test_a_refusal_raised_inside_the_page_is_the_403_page(users):
    request = RequestFactory().get("/x/")
    request.user = users["specialist"]
    response = staff_page(_refusing_view)(request)
    assert response.status_code == 403 and "not allowed to run bills" in response.content.decode()


def test_an_unknown_capability_is_refused_when_the_page_is_declared():
    with pytest.raises(ValueError, match="no.such"):
        staff_page(capability="no.such")
