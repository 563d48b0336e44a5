"""The facts builder: the database → DisconnectFacts for many accounts in a fixed number of
queries, each protection recorded reaching the rules, and ``ratepayer collections explain
ACCOUNT`` printing the decision of a real account."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.collections.actions import protections as act
from ratepayer.collections.disconnect_rules import decide_disconnect
from ratepayer.collections.facts import facts_for_account, facts_for_accounts
from tests.billing.conftest import build_town
from tests.collections.core_helpers import issue_bill

pytestmark = pytest.mark.django_db

BILL, DUE = date(2025, 6, 10), date(2025, 7, 1)
HOT = date(2025, 7, 29)  # a Tuesday


def _protected_town(clerk, accounts: int, cycle: str):
    town = build_town(clerk, accounts=accounts, cycle_code=cycle)
    for index, account in enumerate(town.accounts):
        agreements = town.agreements[account.pk]
        issue_bill(account, {agreements["electric"]: Decimal("150.00"), agreements["water"]: Decimal("40.00")},
                   BILL, DUE)
        premise = agreements["electric"].service_point.premise
        act.set_premise_zone(user=clerk, premise=premise, zone="WAZ558" if index % 2 else "WAZ507")
        act.record_medical_notice(user=clerk, account=account, premise=premise, notified_on=date(2025, 7, 20),
                                  notice="verbal", delinquent_balance="190.00")
        act.open_dispute(user=clerk, account=account, opened_on=date(2025, 7, 2), reason="estimated read")
        act.request_winter_protection(user=clerk, account=account, premise=premise, notified_on=date(2025, 7, 3))
        act.register_landlord(user=clerk, premise=premise, request_received_on=date(2025, 1, 5),
                              owner_name=f"Owner {index}", mailing_line1="PO Box 1", mailing_city="Monroe",
                              mailing_state="WA", mailing_zip="98272")
    return town


def _queries(ids, on) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        facts = facts_for_accounts(ids, on)
    return len(captured.captured_queries), facts


def test_a_fixed_number_of_queries_whatever_the_number_of_accounts(users):
    clerk = users["specialist"]
    act.enter_heat_alert(user=clerk, zone="WAZ558", day=HOT, kind="excessive_heat_warning")
    small = _protected_town(clerk, 2, "05")
    large = _protected_town(clerk, 9, "06")
    few, facts_few = _queries([a.pk for a in small.accounts], HOT)
    many, facts_many = _queries([a.pk for a in large.accounts], HOT)
    assert len(facts_few) == 2 and len(facts_many) == 9
    assert few == many, (few, many)
    assert many <= 20


def test_each_protection_reaches_the_facts_as_it_stood_on_the_day(users):
    clerk = users["specialist"]
    act.enter_heat_alert(user=clerk, zone="WAZ558", day=HOT, kind="excessive_heat_warning")
    town = _protected_town(clerk, 2, "05")
    hot_account, cool_account = town.accounts[1], town.accounts[0]  # zones WAZ558 and WAZ507
    facts = facts_for_accounts([hot_account.pk, cool_account.pk], HOT)
    hot, cool = facts[hot_account.pk], facts[cool_account.pk]
    assert (hot.nws_zone, hot.heat_alert_days) == ("WAZ558", frozenset({HOT}))
    assert (cool.nws_zone, cool.heat_alert_days) == ("WAZ507", frozenset())
    assert hot.past_due_balance == Decimal("190.00") and hot.oldest_unpaid_due_date == DUE
    assert hot.dispute_open and hot.landlord_registered
    assert [c.received_on for c in hot.medical_certificates] == [date(2025, 7, 20)]
    assert hot.winter_request.notified_on == date(2025, 7, 3)
    # the decision: the heat alert blocks in WAZ558; in WAZ507 the medical notice's grace (5 business
    # days from Sunday Jul 20: through Mon Jul 28) passed without a written certificate, so the
    # open dispute is what holds the disconnection
    assert decide_disconnect(hot, HOT).deciding_rule == "heat_alert"
    cool_decision = decide_disconnect(cool, HOT)
    assert cool_decision.verdict_of("heat_alert").verdict == "allows"
    assert cool_decision.verdict_of("medical_certificate").verdict == "allows"
    assert cool_decision.deciding_rule == "dispute"
    assert decide_disconnect(facts_for_accounts([cool_account.pk], date(2025, 7, 28))[cool_account.pk],
                             date(2025, 7, 28)).deciding_rule == "medical_certificate"
    # before the dispute was opened and the certificate noted, neither was a fact
    earlier = facts_for_accounts([cool_account.pk], date(2025, 7, 1))[cool_account.pk]
    assert not earlier.dispute_open and earlier.medical_certificates == () and earlier.winter_request is None


def test_the_medical_conditions_are_judged_after_the_grace_period(utility, users):
    clerk = users["specialist"]
    issue_bill(utility.account, {utility.electric: Decimal("300.00")}, BILL, DUE)
    act.record_medical_notice(user=clerk, account=utility.account, premise=utility.premise,
                              notified_on=date(2025, 7, 7), notice="verbal", delinquent_balance="300.00")
    in_grace = facts_for_account(utility.account.number, date(2025, 7, 10))
    assert in_grace.medical_certificates[0].conditions_met
    after = facts_for_account(utility.account.number, date(2025, 7, 21))
    assert not after.medical_certificates[0].conditions_met  # nothing paid, nothing agreed


def test_explain_an_account_prints_the_decision(utility, users):
    clerk = users["specialist"]
    issue_bill(utility.account, {utility.electric: Decimal("120.00")}, BILL, DUE)
    act.set_premise_zone(user=clerk, premise=utility.premise, zone="WAZ558")
    act.enter_heat_alert(user=clerk, zone="WAZ558", day=HOT, kind="heat_advisory")
    out = StringIO()
    call_command("collections", "explain", utility.account.number, "--date", HOT.isoformat(), "--format", "json",
                 stdout=out)
    decision = json.loads(out.getvalue())
    assert decision["date"] == HOT.isoformat()
    assert decision["disconnect_allowed"] is False and decision["deciding_rule"] == "heat_alert"
    heat = next(r for r in decision["rules"] if r["rule"] == "heat_alert")
    assert heat["verdict"] == "blocks" and "WAZ558" in heat["reason"]
    assert [r["rule"] for r in decision["rules"]][-1] == "all_clear"
    with pytest.raises(CommandError, match="'NOPE-1': there is no such account"):
        call_command("collections", "explain", "NOPE-1", "--date", HOT.isoformat(), stdout=StringIO())
