"""The API's documentation page in a real browser: Swagger UI from local static
files lists the endpoints, and a token pasted into Authorize reads an account."""

from __future__ import annotations

import pytest

from ratepayer.staff.actions import create_api_token
from ratepayer.staff.models import AuditEvent
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_api_docs_page_lists_endpoints_and_tries_one_with_a_token(page, live_server, browser_data):
    number = browser_data.utility.account.number
    _, raw = create_api_token(user=browser_data.users["assistant"], name="docs page")
    outside_requests = []
    page.on("request", lambda r: outside_requests.append(r.url) if not r.url.startswith(live_server.url) else None)

    # Swagger UI draws ~70 operations in the browser; on a loaded CI machine that takes longer than
    # the suite's default wait (a bound on waiting, not a timing under test).
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    page.goto(live_server.url + "/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for path in ["/api/v1/accounts/search", "/api/v1/accounts/{number}", "/api/v1/accounts/{number}/agreements",
                 "/api/v1/accounts/{number}/balances", "/api/v1/accounts/{number}/transactions",
                 "/api/v1/customers/{customer_id}", "/api/v1/payments", "/api/v1/meters/{serial}/reads",
                 "/api/v1/approvals/{request_id}/decision", "/api/v1/payment-files/lockbox"]:
        assert any(p.replace("\u200b", "") == path for p in paths), (path, paths)
    screenshot(page, "api-docs")

    page.click("button.authorize")
    page.fill(".auth-container input", raw)
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")

    # Swagger UI's element id is operations-<tag>-<operationId>; the operation id is the view's name.
    ids = page.locator(".opblock").evaluate_all("nodes => nodes.map(n => n.id)")
    assert "operations-payments-take_payment" in ids, ids
    operation = page.locator("#operations-customers_and_accounts-get_account")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("input[placeholder='number']").fill(number)
    operation.locator("button.execute").click()
    response = operation.locator(".live-responses-table tbody .response-col_status").first
    response.wait_for()
    assert response.inner_text().strip().startswith("200")
    body = operation.locator(".live-responses-table tbody .microlight").first.inner_text()
    assert f'"number": "{number}"' in body and "•••••6789" in body and "123-45-6789" not in body
    screenshot(page, "api-docs-try-account")

    assert AuditEvent.objects.filter(action="account.viewed", user=browser_data.users["assistant"],
                                     channel="api").count() == 1
    assert not outside_requests, f"the docs page fetched from elsewhere: {outside_requests}"
