"""Outgoing e-mail in a real browser: a supervisor finds a failed message through
Administration › Outgoing e-mail, reads the relay's error, and sends it again."""

import pytest

from ratepayer.outbox import actions
from ratepayer.outbox.models import OutboxMessage
from tests.browser.conftest import assert_fits_width, login, nav_to, screenshot

pytestmark = pytest.mark.browser


def test_supervisor_sees_a_failed_message_and_sends_it_again(page, live_server, browser_data):
    message = actions.queue_message(to="pat.doe@example.org", subject="Your payment was returned",
                                    body="Your payment of $150.00 was returned by your bank (R01).")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed", attempts=6, last_error="ConnectionRefusedError: [Errno 111] Connection refused")
    login(page, live_server, "supervisor")
    nav_to(page, "Outgoing e-mail")
    page.wait_for_url("**/outbox/")
    row = page.locator(f"#outbox-messages tr[data-message='{message.pk}']")
    assert "Connection refused" in row.inner_text() and "failed" in row.inner_text()
    assert_fits_width(page)
    screenshot(page, "outbox-failed")
    row.locator(f"[data-retry='{message.pk}']").click()
    page.wait_for_selector(".msg-success")
    assert "queued again" in page.inner_text(".messages")
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 0
    screenshot(page, "outbox-retried")
