"""Properties of the disconnect decision over random facts and dates."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ratepayer.collections.disconnect_facts import facts_from_mapping, facts_to_mapping, load_facts_json
from ratepayer.collections.disconnect_rules import (
    RULE_ORDER,
    DisconnectFacts,
    FinalNotice,
    MedicalCertificate,
    PaymentArrangement,
    WinterProtectionRequest,
    decide_disconnect,
)

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2029, 12, 31))
AMOUNTS = st.integers(min_value=0, max_value=500_000).map(lambda cents: Decimal(cents) / 100)


@st.composite
def notices(draw):
    served = draw(DAYS)
    valid_from = served + timedelta(days=draw(st.integers(0, 15)))
    return FinalNotice(served, valid_from, valid_from + timedelta(days=draw(st.integers(0, 20))))


@st.composite
def certificates(draw):
    received = draw(DAYS)
    certified = draw(st.none() | st.integers(0, 10).map(lambda days: received + timedelta(days=days)))
    expires = draw(st.none() | st.integers(0, 90).map(lambda days: received + timedelta(days=days)))
    return MedicalCertificate(received, certified, expires, draw(st.booleans()))


@st.composite
def arrangements(draw):
    status = draw(st.sampled_from(["kept", "broken"]))
    missed = draw(DAYS) if status == "broken" else draw(st.none() | DAYS)
    return PaymentArrangement(status, missed)


winter_requests = st.builds(
    WinterProtectionRequest, notified_on=st.none() | DAYS, annual_seven_percent_of_income=st.none() | AMOUNTS,
    liheap_applied=st.booleans(), weatherization_applied=st.booleans(), weatherization_available=st.booleans(),
    plan_agreed=st.booleans(), agreed_monthly_payment=st.none() | AMOUNTS, arrears_since_application=AMOUNTS,
    plan_first_due=st.none() | DAYS, paid_under_plan=AMOUNTS, prior_winter_balance_unpaid=st.booleans())

facts_strategy = st.builds(
    DisconnectFacts,
    utility_type=st.sampled_from(["pud", "water_sewer", "city"]),
    services=st.frozensets(st.sampled_from(["electric", "water", "sewer"]), min_size=1),
    residential=st.booleans(), space_heating=st.booleans(),
    nws_zone=st.none() | st.sampled_from(["WAZ558", "WAZ559"]),
    heat_alert_days=st.frozensets(DAYS, max_size=4),
    winter_request=st.none() | winter_requests,
    medical_certificates=st.lists(certificates(), max_size=3).map(tuple),
    dispute_open=st.booleans(), arrangement=st.none() | arrangements(),
    past_due_balance=AMOUNTS, minimum_balance_for_disconnect=AMOUNTS,
    oldest_unpaid_due_date=st.none() | DAYS, final_notice=st.none() | notices(),
    landlord_registered=st.booleans(), landlord_copy_sent=st.booleans(),
    closure_dates=st.frozensets(DAYS, max_size=3),
    disconnect_weekdays=st.frozensets(st.integers(0, 6)),
    at=st.none() | st.times().map(lambda t: time(t.hour, t.minute)),
)


@given(facts=facts_strategy, on=DAYS)
def test_allowed_exactly_when_no_rule_blocks_and_the_first_blocker_decides(facts, on):
    decision = decide_disconnect(facts, on)
    assert tuple(verdict.rule for verdict in decision.rules) == RULE_ORDER
    blocking = [verdict.rule for verdict in decision.rules if verdict.verdict == "blocks"]
    assert decision.disconnect_allowed is (not blocking)
    assert decision.deciding_rule == (blocking[0] if blocking else "all_clear")
    assert all(verdict.reason.strip() for verdict in decision.rules)
    assert json.loads(json.dumps(decision.as_dict())) == decision.as_dict()


@given(facts=facts_strategy, on=DAYS)
def test_a_protection_that_blocks_never_yields_allowed(facts, on):
    decision = decide_disconnect(facts, on)
    if on in facts.heat_alert_days and facts.residential and facts.nws_zone \
            and facts.services & {"electric", "water"}:
        assert not decision.disconnect_allowed and decision.deciding_rule == "heat_alert"
    if facts.dispute_open or on.weekday() >= 4 or (facts.arrangement and facts.arrangement.status == "kept"):
        assert not decision.disconnect_allowed


@given(facts=facts_strategy, on=DAYS)
def test_the_facts_file_round_trips(facts, on):
    again = facts_from_mapping(facts_to_mapping(facts))
    assert again == facts
    assert load_facts_json(json.dumps(facts_to_mapping(facts))) == facts
    assert decide_disconnect(again, on) == decide_disconnect(facts, on)
