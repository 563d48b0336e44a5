"""Returned-payment notices go through the outbox: no mail relay cannot fail
an import, and a rolled-back import tells nobody anything."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command

from ratepayer.outbox import actions as outbox
from ratepayer.outbox.models import OutboxMessage
from ratepayer.payments import actions
from ratepayer.payments.models import ReturnedPayment
from tests.outbox.test_outbox import closed_port
from tests.payments.conftest import assert_ledger_ok, charge
from tests.payments.helpers import return_file
from tests.payments.test_autopay import enroll, settled_payment


@pytest.fixture
def returned(users, utility, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5
    charge(utility.water, "50.00", date(2025, 1, 15))
    charge(utility.electric, "100.00", date(2025, 2, 1))
    enroll(users, utility.account)
    payment, entry = settled_payment(users, utility)
    path = tmp_path / "returns0312.ach"
    path.write_bytes(return_file([(entry.trace_number, "R01", "021000021", "123456789", "150.00")]))
    return payment, path


def test_ach_returns_import_with_no_mail_relay_succeeds_and_queues_the_notice(returned, capsys):
    payment, path = returned
    call_command("ach", "returns", "import", str(path), "--format", "json")
    assert json.loads(capsys.readouterr().out)["returns"] == 1
    assert ReturnedPayment.objects.count() == 1
    notice = OutboxMessage.objects.get()
    assert notice.status == "queued" and notice.kind == "ach_return" and notice.subject == "Your payment was returned"
    assert notice.account_id == payment.account_id and notice.to and "returned by your bank" in notice.body
    assert outbox.deliver_due() == {"queued": 1}  # the relay is down: kept for a later attempt
    notice.refresh_from_db()
    assert notice.attempts == 1 and "refused" in notice.last_error.lower()
    assert_ledger_ok()


def test_a_rolled_back_return_import_leaves_no_notice(returned, users, monkeypatch):
    payment, path = returned

    from ratepayer.staff import audit

    record = audit.record

    def fail_after_the_notice(action, **kwargs):
        if action == "payment.returned":  # written after the customer's notice was
            raise RuntimeError("the database went away after the notice was written")
        return record(action, **kwargs)

    monkeypatch.setattr(audit, "record", fail_after_the_notice)
    with pytest.raises(RuntimeError):
        actions.import_ach_returns(user=users["specialist"], content=path.read_bytes(), name="returns0312.ach")
    assert not OutboxMessage.objects.exists() and not ReturnedPayment.objects.exists()
