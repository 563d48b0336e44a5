"""The daily collections job over one account's delinquency, day by day: late
fees (Cr 450 / 470 per the posting rules), past-due and final notices with the
final notice's window, the disconnect decision recorded with its reasons, the
disconnect order, field completion, payment and the reconnect order with its
fee — and the same date twice changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ratepayer.collections import queries
from ratepayer.collections.actions import daily, orders
from ratepayer.collections.models import (
    DisconnectDecisionRecord,
    LateFee,
    Notice,
    ServiceOrder,
)
from ratepayer.ledger.checks import run_all
from ratepayer.ledger.models import JournalLine, ReceivableWatermark
from tests.collections.core_helpers import issue_bill, pay

pytestmark = pytest.mark.django_db

BILL = date(2025, 1, 10)
DUE = date(2025, 1, 31)


def _counts():
    return (LateFee.objects.count(), Notice.objects.count(), DisconnectDecisionRecord.objects.count(),
            ServiceOrder.objects.count(), JournalLine.objects.count())


@pytest.fixture
def delinquent(utility):
    u = utility
    # commercial: the heat-alert rule protects residential service only (and no zone is recorded here)
    for agreement in (u.electric, u.water):
        agreement.customer_class = "commercial"
        agreement.save(update_fields=["customer_class"])
    issue_bill(u.account, {u.electric: Decimal("120.00"), u.water: Decimal("60.00")}, BILL, DUE)
    return u


def test_a_delinquency_from_late_fee_to_reconnect(delinquent, users):
    u = delinquent
    # the day after the grace days: no fee yet on day 3, fees on day 4
    assert daily.run(DUE + timedelta(days=3)).late_fees == 0
    result = daily.run(DUE + timedelta(days=4))
    assert result.late_fees == 2
    fees = {f.agreement.service: f for f in LateFee.objects.select_related("agreement", "journal_entry")}
    assert fees["electric"].amount == Decimal("5.00")  # the PUD's flat fee
    assert fees["water"].amount == Decimal("6.00")  # the district's 10 % of the delinquent charge
    credit_gl = {f.agreement.service: f.journal_entry.lines.get(credit__gt=0).gl_account.number for f in fees.values()}
    assert credit_gl == {"electric": "450", "water": "470"}
    before = _counts()
    assert daily.run(DUE + timedelta(days=4)).late_fees == 0
    assert _counts() == before

    # past-due notice on day 5, final notice on day 20 with its window
    assert daily.run(DUE + timedelta(days=5)).past_due_notices == 1
    final_day = DUE + timedelta(days=20)
    assert daily.run(final_day).final_notices == 1
    final = Notice.objects.get(kind="final")
    assert (final.valid_from, final.valid_until) == (final_day + timedelta(days=8),
                                                     final_day + timedelta(days=8 + 14 - 1))
    assert final.amount_past_due == Decimal("191.00")

    # before the window opens: no decision; Friday in the window: held by the business-day rule
    assert daily.run(final.valid_from - timedelta(days=1)).decisions == 0
    friday = next(final.valid_from + timedelta(days=i) for i in range(7)
                  if (final.valid_from + timedelta(days=i)).weekday() == 4)
    held = daily.run(friday)
    assert (held.decisions, held.disconnect_orders) == (1, 0)
    record = DisconnectDecisionRecord.objects.get(decided_on=friday)
    assert record.deciding_rule == "business_day" and not record.allowed
    assert any(r["rule"] == "business_day" and r["verdict"] == "blocks" for r in record.decision["rules"])

    monday = friday + timedelta(days=3)
    ran = daily.run(monday)
    assert (ran.decisions, ran.disconnects_allowed, ran.disconnect_orders) == (1, 1, 2)
    before = _counts()
    daily.run(monday)
    assert _counts() == before
    status = queries.account_collections(u.account.pk, monday)
    assert status.stage == "disconnect_ordered"

    # the field crew disconnects electric; water had no access
    by_service = {o.service_point.service: o for o in ServiceOrder.objects.filter(kind="disconnect")}
    orders.complete_order(user=users["specialist"], order=by_service["electric"], result="done", on=monday)
    orders.complete_order(user=users["specialist"], order=by_service["water"], result="no_access", on=monday)
    assert queries.account_collections(u.account.pk, monday).stage == "disconnected"

    # the customer pays everything: a reconnect order at once, with the reconnect fee
    pay(u.account, u.electric, Decimal("125.00"), monday + timedelta(days=1))
    pay(u.account, u.water, Decimal("66.00"), monday + timedelta(days=1))
    ran = daily.run(monday + timedelta(days=1))
    assert ran.reconnect_orders == 1
    reconnect = ServiceOrder.objects.get(kind="reconnect")
    assert reconnect.service_point_id == by_service["electric"].service_point_id
    assert reconnect.fee_entry.lines.get(credit__gt=0).gl_account.number == "451"
    before = _counts()
    daily.run(monday + timedelta(days=1))
    assert _counts() == before
    assert run_all()["ok"], [c for c in run_all()["checks"] if not c["ok"]]
    assert ReceivableWatermark.objects.filter(account_id=u.account.pk).exists()


def test_aging_buckets_by_days_past_due(delinquent):
    u = delinquent
    issue_bill(u.account, {u.electric: Decimal("80.00")}, date(2025, 3, 10), date(2025, 3, 31))
    on = date(2025, 4, 15)
    rows = queries.aging([u.account.pk], on=on)
    electric = rows[(u.account.pk, "electric")].buckets
    assert electric["days_61_90"] == Decimal("120.00")  # due Jan 31: 74 days past due
    assert electric["days_1_30"] == Decimal("80.00")  # due Mar 31: 15 days
    pay(u.account, u.electric, Decimal("150.00"), on)
    electric = queries.aging([u.account.pk], on=on)[(u.account.pk, "electric")].buckets
    assert electric["days_61_90"] == Decimal("0.00") and electric["days_1_30"] == Decimal("50.00")
    assert queries.aging_totals(on)["days_61_90"] == Decimal("60.00")  # the water bill


def test_a_residential_account_is_held_on_a_heat_alert_day_in_its_zone(utility, users):
    from ratepayer.collections.models import HeatAlert, PremiseZone

    u = utility  # residential
    issue_bill(u.account, {u.electric: Decimal("120.00"), u.water: Decimal("60.00")}, BILL, DUE)
    for day in (DUE + timedelta(days=5), DUE + timedelta(days=20)):
        daily.run(day)
    monday, tuesday = date(2025, 3, 3), date(2025, 3, 4)
    held = daily.run(monday)
    assert (held.decisions, held.disconnect_orders) == (1, 0)
    assert DisconnectDecisionRecord.objects.get(decided_on=monday).deciding_rule == "heat_alert"  # no zone recorded
    PremiseZone.objects.create(premise=u.premise, zone="WAZ558", set_by=users["supervisor"])
    HeatAlert.objects.create(zone="WAZ558", day=tuesday, kind="heat_advisory", source="entered",
                             entered_by=users["supervisor"])
    HeatAlert.objects.create(zone="WAZ001", day=date(2025, 3, 5), kind="heat_advisory", source="entered",
                             entered_by=users["supervisor"])
    assert daily.run(tuesday).disconnect_orders == 0
    record = DisconnectDecisionRecord.objects.get(decided_on=tuesday)
    assert record.deciding_rule == "heat_alert" and record.facts["nws_zone"] == "WAZ558"
    ran = daily.run(date(2025, 3, 5))  # an alert in another zone does not hold this premise
    assert ran.disconnect_orders == 2
