"""Properties of the disconnect decision over random facts and dates."""

from __future__ import annotations

import dataclasses
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



WINTER_DAYS = st.sampled_from([date(2027, 11, 15), date(2027, 12, 14), date(2028, 1, 31), date(2028, 3, 15)])


@given(on=WINTER_DAYS, figure=AMOUNTS, arrears=AMOUNTS, extra=AMOUNTS, over=st.integers(0, 10_000),
       first_due=st.dates(min_value=date(2027, 11, 1), max_value=date(2028, 3, 15)).filter(lambda d: d.day <= 28))
def test_paying_the_ceiling_keeps_winter_protection_whatever_was_agreed(on, figure, arrears, extra, over,
                                                                          first_due):
    """RCW 54.16.285(1)(e): not in default unless paying less than 7% of monthly income plus
    1/12 of the arrears; the agreed amount (the ceiling plus ``extra``) never matters."""
    # The ceiling by hand: (yearly 7% figure + arrears) / 12, to the cent, half-up.
    ceiling = Decimal(int((figure + arrears) * 100 / 12 + Decimal("0.5"))) / 100
    # Installments fall on first_due's day (at most the 28th) each month; count those due by ``on``.
    due = sum(1 for months in range(6)
              if date(first_due.year + (first_due.month - 1 + months) // 12,
                      (first_due.month - 1 + months) % 12 + 1, first_due.day) <= on)
    request = WinterProtectionRequest(
        notified_on=date(2027, 11, 1), annual_seven_percent_of_income=figure, liheap_applied=True,
        weatherization_applied=True, plan_agreed=True, agreed_monthly_payment=ceiling + extra,
        arrears_since_application=arrears, plan_first_due=first_due,
        paid_under_plan=ceiling * due + Decimal(over) / 100)
    facts = DisconnectFacts(utility_type="pud", services=frozenset({"electric"}), residential=True,
                            space_heating=True, nws_zone="WAZ558", winter_request=request,
                            past_due_balance=Decimal("500.00"), minimum_balance_for_disconnect=Decimal("75.00"))
    decision = decide_disconnect(facts, on)
    assert decision.verdict_of("winter_protection").verdict == "blocks"
    assert not decision.disconnect_allowed
    if due and ceiling > 0:  # a cent short of the ceiling's total is default
        short = dataclasses.replace(request, paid_under_plan=ceiling * due - Decimal("0.01"))
        verdict = decide_disconnect(dataclasses.replace(facts, winter_request=short), on).verdict_of(
            "winter_protection")
        assert verdict.verdict == "allows" and "default" in verdict.reason
