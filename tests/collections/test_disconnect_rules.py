"""Worked examples of the disconnect decision at every boundary date.

Each test builds the facts of a residential PUD electric account that nothing protects
(``clear_facts``: $200.00 past due against a $75.00 minimum, a final notice whose window
is open, NWS zone WAZ558 with no alert, no arrangement, dispute or medical emergency),
changes the one fact under test, and checks the rule's verdict AND the deciding rule.
Calendar facts used below (US + Washington holidays, `holidays` package):
2027-07-13 Tue, 07-14 Wed, 07-15 Thu, 07-16 Fri; 2027-11-10 Wed before Veterans Day
(Thu 11-11); 2027-11-24 Wed before Thanksgiving; 2028-03-15 Wed, 03-16 Thu;
2028-11-14 Tue, 11-15 Wed; 2028-02-15 Tue.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from ratepayer.collections.disconnect_rules import (
    RULE_ORDER,
    DisconnectFacts,
    FactsError,
    FinalNotice,
    MedicalCertificate,
    PaymentArrangement,
    WinterProtectionRequest,
    decide_disconnect,
)

TUESDAY = date(2027, 7, 13)


def clear_facts(on: date = TUESDAY, **changes) -> DisconnectFacts:
    facts = DisconnectFacts(
        utility_type="pud",
        services=frozenset({"electric"}),
        residential=True,
        space_heating=True,
        nws_zone="WAZ558",
        past_due_balance=Decimal("200.00"),
        minimum_balance_for_disconnect=Decimal("75.00"),
        final_notice=FinalNotice(served_on=on - timedelta(days=20), valid_from=on - timedelta(days=5),
                                 expires_on=on + timedelta(days=10)),
    )
    return dataclasses.replace(facts, **changes)


def protected_winter(**changes) -> WinterProtectionRequest:
    """A customer who has done everything RCW 54.16.285(1) asks: the grantee's figure is
    7% of $25,800 a year = $1,806.00; arrears since application $312.40; the ceiling is
    ($1,806.00 + $312.40) / 12 = $176.5333 -> $176.53 a month. They agreed to $250.00."""
    request = WinterProtectionRequest(
        notified_on=date(2027, 11, 18), annual_seven_percent_of_income=Decimal("1806.00"),
        liheap_applied=True, weatherization_applied=True, plan_agreed=True,
        agreed_monthly_payment=Decimal("250.00"), arrears_since_application=Decimal("312.40"),
        plan_first_due=date(2027, 12, 1), paid_under_plan=Decimal("0.00"))
    return dataclasses.replace(request, **changes)


def check(facts: DisconnectFacts, on: date, *, allowed: bool, deciding: str, rule: str, verdict: str):
    decision = decide_disconnect(facts, on)
    assert decision.verdict_of(rule).verdict == verdict, decision.verdict_of(rule).reason
    assert decision.deciding_rule == deciding, decision.as_dict()
    assert decision.disconnect_allowed is allowed
    return decision


def test_an_unprotected_account_on_an_ordinary_tuesday_may_be_disconnected():
    decision = check(clear_facts(), TUESDAY, allowed=True, deciding="all_clear", rule="all_clear", verdict="allows")
    assert tuple(verdict.rule for verdict in decision.rules) == RULE_ORDER
    assert not [verdict for verdict in decision.rules if verdict.verdict == "blocks"]


def test_the_json_contract_has_exactly_the_agreed_keys():
    result = decide_disconnect(clear_facts(), TUESDAY).as_dict()
    assert set(result) == {"date", "disconnect_allowed", "deciding_rule", "rules"}
    assert result["date"] == "2027-07-13" and result["disconnect_allowed"] is True
    assert [set(rule) for rule in result["rules"]] == [{"rule", "verdict", "reason"}] * len(RULE_ORDER)
    assert [rule["rule"] for rule in result["rules"]] == list(RULE_ORDER)


# --- winter protection: Nov 15 - Mar 15 --------------------------------------------------

def test_winter_protection_starts_on_november_15_not_14():
    request = protected_winter(notified_on=date(2028, 11, 1), plan_first_due=date(2028, 12, 1))
    facts = clear_facts(date(2028, 11, 14), winter_request=request)
    check(facts, date(2028, 11, 14), allowed=True, deciding="all_clear",
          rule="winter_protection", verdict="not_applicable")
    facts = clear_facts(date(2028, 11, 15), winter_request=request)
    decision = check(facts, date(2028, 11, 15), allowed=False, deciding="winter_protection",
                     rule="winter_protection", verdict="blocks")
    assert "RCW 54.16.285" in decision.deciding_reason


def test_winter_protection_ends_after_march_15():
    # Paid the ceiling for Dec, Jan, Feb, Mar: 4 x $176.53 = $706.12.
    request = protected_winter(paid_under_plan=Decimal("706.12"))
    check(clear_facts(date(2028, 3, 15), winter_request=request), date(2028, 3, 15), allowed=False,
          deciding="winter_protection", rule="winter_protection", verdict="blocks")
    check(clear_facts(date(2028, 3, 16), winter_request=request), date(2028, 3, 16), allowed=True,
          deciding="all_clear", rule="winter_protection", verdict="not_applicable")


def test_paying_the_ceiling_but_less_than_agreed_is_not_default():
    # By 2028-02-15 three installments fell due (Dec 1, Jan 1, Feb 1): 3 x $176.53 = $529.59
    # at the ceiling, though 3 x $250.00 = $750.00 was agreed.
    on = date(2028, 2, 15)
    decision = check(clear_facts(on, winter_request=protected_winter(paid_under_plan=Decimal("529.59"))), on,
                     allowed=False, deciding="winter_protection", rule="winter_protection", verdict="blocks")
    assert "$176.53" in decision.deciding_reason and "$250.00" in decision.deciding_reason
    # A cent less than the ceiling's total is default: protection gone, nothing else blocks.
    decision = check(clear_facts(on, winter_request=protected_winter(paid_under_plan=Decimal("529.58"))), on,
                     allowed=True, deciding="all_clear", rule="winter_protection", verdict="allows")
    assert "default" in decision.verdict_of("winter_protection").reason


@pytest.mark.parametrize("missing, words", [
    ({"annual_seven_percent_of_income": None}, "documented their household income"),
    ({"liheap_applied": False}, "applied for home heating assistance"),
    ({"weatherization_applied": False}, "weatherization"),
    ({"plan_agreed": False}, "agreed to a payment plan"),
])
def test_winter_protection_needs_every_duty(missing, words):
    on = date(2027, 12, 14)
    decision = check(clear_facts(on, winter_request=protected_winter(**missing)), on, allowed=True,
                     deciding="all_clear", rule="winter_protection", verdict="allows")
    assert words in decision.verdict_of("winter_protection").reason


def test_weatherization_is_not_needed_where_none_is_available():
    on = date(2027, 12, 14)
    request = protected_winter(weatherization_applied=False, weatherization_available=False,
                               paid_under_plan=Decimal("176.53"))
    check(clear_facts(on, winter_request=request), on, allowed=False, deciding="winter_protection",
          rule="winter_protection", verdict="blocks")


def test_winter_protection_needs_the_customer_to_have_told_us_by_that_day():
    on = date(2027, 11, 16)
    check(clear_facts(on, winter_request=protected_winter()), on, allowed=True, deciding="all_clear",
          rule="winter_protection", verdict="allows")  # notified on Nov 18, after the day decided
    check(clear_facts(on, winter_request=None), on, allowed=True, deciding="all_clear",
          rule="winter_protection", verdict="allows")


def test_an_unpaid_balance_from_last_october_15_forfeits_winter_protection():
    on = date(2027, 12, 14)
    request = protected_winter(paid_under_plan=Decimal("176.53"), prior_winter_balance_unpaid=True)
    decision = check(clear_facts(on, winter_request=request), on, allowed=True, deciding="all_clear",
                     rule="winter_protection", verdict="allows")
    assert "October 15" in decision.verdict_of("winter_protection").reason


def test_winter_protection_is_for_residential_space_heat_of_a_pud_or_city():
    on = date(2027, 12, 14)
    request = protected_winter(paid_under_plan=Decimal("176.53"))
    for change in ({"space_heating": False}, {"residential": False}):
        check(clear_facts(on, winter_request=request, **change), on, allowed=True, deciding="all_clear",
              rule="winter_protection", verdict="not_applicable")
    decision = check(clear_facts(on, winter_request=request, utility_type="city"), on, allowed=False,
                     deciding="winter_protection", rule="winter_protection", verdict="blocks")
    assert "RCW 35.21.300" in decision.deciding_reason
    water = clear_facts(on, utility_type="water_sewer", services=frozenset({"water"}), winter_request=request,
                        oldest_unpaid_due_date=on - timedelta(days=45))
    check(water, on, allowed=True, deciding="all_clear", rule="winter_protection", verdict="not_applicable")


# --- heat alert ---------------------------------------------------------------------------

def test_a_heat_alert_in_the_premises_zone_blocks():
    decision = check(clear_facts(heat_alert_days=frozenset({TUESDAY})), TUESDAY, allowed=False,
                     deciding="heat_alert", rule="heat_alert", verdict="blocks")
    assert "WAZ558" in decision.deciding_reason and "RCW 54.16.285(5)" in decision.deciding_reason


def test_a_heat_alert_on_another_day_does_not_block():
    facts = clear_facts(heat_alert_days=frozenset({TUESDAY - timedelta(days=1), TUESDAY + timedelta(days=1)}))
    check(facts, TUESDAY, allowed=True, deciding="all_clear", rule="heat_alert", verdict="allows")


def test_a_heat_alert_for_another_zone_does_not_block():
    # The facts file's zone map: only the premise's zone counts (see the command tests too).
    from ratepayer.collections.disconnect_facts import facts_from_mapping
    base = {"utility_type": "pud", "services": ["electric"], "residential": True, "nws_zone": "WAZ558",
            "past_due_balance": "200.00", "minimum_balance_for_disconnect": "75.00",
            "final_notice": {"served_on": "2027-06-23", "valid_from": "2027-07-08", "expires_on": "2027-07-23"}}
    other_zone = facts_from_mapping({**base, "heat_alert_days": {"WAZ559": ["2027-07-13"]}})
    check(other_zone, TUESDAY, allowed=True, deciding="all_clear", rule="heat_alert", verdict="allows")
    own_zone = facts_from_mapping({**base, "heat_alert_days": {"WAZ559": [], "waz558": ["2027-07-13"]}})
    check(own_zone, TUESDAY, allowed=False, deciding="heat_alert", rule="heat_alert", verdict="blocks")


def test_the_heat_alert_rule_covers_water_but_not_sewer_only_or_commercial():
    alert = frozenset({TUESDAY})
    water = clear_facts(utility_type="water_sewer", services=frozenset({"water", "sewer"}), heat_alert_days=alert,
                        oldest_unpaid_due_date=TUESDAY - timedelta(days=40))
    decision = check(water, TUESDAY, allowed=False, deciding="heat_alert", rule="heat_alert", verdict="blocks")
    assert "RCW 57.08.081(8)" in decision.deciding_reason
    sewer = dataclasses.replace(water, services=frozenset({"sewer"}))
    check(sewer, TUESDAY, allowed=True, deciding="all_clear", rule="heat_alert", verdict="not_applicable")
    commercial = clear_facts(residential=False, heat_alert_days=alert)
    check(commercial, TUESDAY, allowed=True, deciding="all_clear", rule="heat_alert", verdict="not_applicable")


def test_a_premise_without_a_weather_zone_cannot_be_cleared_of_a_heat_alert():
    decision = check(clear_facts(nws_zone=None), TUESDAY, allowed=False, deciding="heat_alert",
                     rule="heat_alert", verdict="blocks")
    assert "No weather zone" in decision.deciding_reason


# --- calendar -----------------------------------------------------------------------------

def test_no_disconnection_on_a_friday():
    friday = date(2027, 7, 16)
    decision = check(clear_facts(friday), friday, allowed=False, deciding="business_day",
                     rule="business_day", verdict="blocks")
    assert "Friday" in decision.deciding_reason
    thursday = date(2027, 7, 15)
    check(clear_facts(thursday), thursday, allowed=True, deciding="all_clear", rule="business_day",
          verdict="allows")


def test_no_disconnection_on_a_holiday_eve_or_a_holiday():
    veterans_eve, veterans_day = date(2027, 11, 10), date(2027, 11, 11)
    decision = check(clear_facts(veterans_eve), veterans_eve, allowed=False, deciding="business_day",
                     rule="business_day", verdict="blocks")
    assert "November 11, 2027" in decision.deciding_reason
    check(clear_facts(veterans_day), veterans_day, allowed=False, deciding="business_day",
          rule="business_day", verdict="blocks")
    thanksgiving_eve = date(2027, 11, 24)
    check(clear_facts(thanksgiving_eve), thanksgiving_eve, allowed=False, deciding="business_day",
          rule="business_day", verdict="blocks")
    tuesday_before = date(2027, 11, 9)
    check(clear_facts(tuesday_before), tuesday_before, allowed=True, deciding="all_clear",
          rule="business_day", verdict="allows")


def test_the_utilitys_own_closure_and_weekdays_count():
    facts = clear_facts(closure_dates=frozenset({TUESDAY + timedelta(days=1)}))
    check(facts, TUESDAY, allowed=False, deciding="business_day", rule="business_day", verdict="blocks")
    facts = clear_facts(disconnect_weekdays=frozenset({0, 2}))  # Monday and Wednesday only
    decision = check(facts, TUESDAY, allowed=False, deciding="business_day", rule="business_day",
                     verdict="blocks")
    assert "Monday, Wednesday" in decision.deciding_reason


@pytest.mark.parametrize("at, allowed", [(time(7, 59), False), (time(8, 0), True), (time(15, 59), True),
                                         (time(16, 0), False)])
def test_disconnect_hours(at, allowed):
    check(clear_facts(at=at), TUESDAY, allowed=allowed, deciding="all_clear" if allowed else "business_hours",
          rule="business_hours", verdict="allows" if allowed else "blocks")


def test_no_time_given_leaves_the_hours_rule_not_applicable():
    check(clear_facts(), TUESDAY, allowed=True, deciding="all_clear", rule="business_hours",
          verdict="not_applicable")


# --- water-sewer: 30 days delinquent, landlord copy ----------------------------------------

def water_sewer(on: date, due: date, **changes) -> DisconnectFacts:
    return clear_facts(on, utility_type="water_sewer", services=frozenset({"water", "sewer"}),
                       oldest_unpaid_due_date=due, **changes)


def test_water_sewer_cut_off_waits_for_day_30_of_delinquency():
    due = date(2027, 6, 14)
    day_29, day_30 = due + timedelta(days=29), due + timedelta(days=30)
    assert (day_29, day_30) == (date(2027, 7, 13), date(2027, 7, 14))
    decision = check(water_sewer(day_29, due), day_29, allowed=False, deciding="delinquency_30_days",
                     rule="delinquency_30_days", verdict="blocks")
    assert "29 days" in decision.deciding_reason and "RCW 57.08.081(5)" in decision.deciding_reason
    check(water_sewer(day_30, due), day_30, allowed=True, deciding="all_clear", rule="delinquency_30_days",
          verdict="allows")


def test_water_sewer_with_nothing_delinquent_blocks():
    check(water_sewer(TUESDAY, None), TUESDAY, allowed=False, deciding="delinquency_30_days",
          rule="delinquency_30_days", verdict="blocks")


def test_the_pud_has_no_30_day_rule():
    check(clear_facts(oldest_unpaid_due_date=TUESDAY - timedelta(days=3)), TUESDAY, allowed=True,
          deciding="all_clear", rule="delinquency_30_days", verdict="not_applicable")


def test_a_registered_landlord_must_have_had_the_copy():
    due = TUESDAY - timedelta(days=45)
    decision = check(water_sewer(TUESDAY, due, landlord_registered=True), TUESDAY, allowed=False,
                     deciding="landlord_copy", rule="landlord_copy", verdict="blocks")
    assert "RCW 57.08.081(7)" in decision.deciding_reason
    check(water_sewer(TUESDAY, due, landlord_registered=True, landlord_copy_sent=True), TUESDAY, allowed=True,
          deciding="all_clear", rule="landlord_copy", verdict="allows")
    check(water_sewer(TUESDAY, due), TUESDAY, allowed=True, deciding="all_clear", rule="landlord_copy",
          verdict="not_applicable")


# --- arrangement, dispute, balance, notice ----------------------------------------------------

def test_a_kept_arrangement_protects_and_a_broken_one_does_not():
    check(clear_facts(arrangement=PaymentArrangement("kept")), TUESDAY, allowed=False, deciding="arrangement",
          rule="arrangement", verdict="blocks")
    broken = PaymentArrangement("broken", last_missed_on=date(2027, 7, 1))
    decision = check(clear_facts(arrangement=broken), TUESDAY, allowed=True, deciding="all_clear",
                     rule="arrangement", verdict="allows")
    assert "July 1, 2027" in decision.verdict_of("arrangement").reason
    # Before the missed installment the arrangement was still kept.
    on = date(2027, 6, 29)
    check(clear_facts(on, arrangement=broken), on, allowed=False, deciding="arrangement", rule="arrangement",
          verdict="blocks")


def test_an_open_dispute_blocks():
    check(clear_facts(dispute_open=True), TUESDAY, allowed=False, deciding="dispute", rule="dispute",
          verdict="blocks")


@pytest.mark.parametrize("balance, allowed", [("0.00", False), ("74.99", False), ("75.00", True)])
def test_minimum_balance(balance, allowed):
    check(clear_facts(past_due_balance=Decimal(balance)), TUESDAY, allowed=allowed,
          deciding="all_clear" if allowed else "minimum_balance", rule="minimum_balance",
          verdict="allows" if allowed else "blocks")


def test_an_expired_notice_no_longer_allows_disconnection():
    served = date(2027, 6, 21)
    expired = FinalNotice(served_on=served, valid_from=date(2027, 6, 29), expires_on=date(2027, 7, 12))
    decision = check(clear_facts(final_notice=expired), TUESDAY, allowed=False, deciding="final_notice",
                     rule="final_notice", verdict="blocks")
    assert "expired on July 12, 2027" in decision.deciding_reason
    last_day = dataclasses.replace(expired, expires_on=TUESDAY)
    check(clear_facts(final_notice=last_day), TUESDAY, allowed=True, deciding="all_clear", rule="final_notice",
          verdict="allows")


def test_a_notice_window_not_yet_open_or_no_notice_blocks():
    early = FinalNotice(served_on=date(2027, 7, 6), valid_from=date(2027, 7, 14), expires_on=date(2027, 7, 28))
    check(clear_facts(final_notice=early), TUESDAY, allowed=False, deciding="final_notice", rule="final_notice",
          verdict="blocks")
    decision = check(clear_facts(final_notice=None), TUESDAY, allowed=False, deciding="final_notice",
                     rule="final_notice", verdict="blocks")
    assert "RCW 54.16.285(2)" in decision.deciding_reason
    decision = check(water_sewer(TUESDAY, TUESDAY - timedelta(days=40), final_notice=None), TUESDAY, allowed=False,
                     deciding="final_notice", rule="final_notice", verdict="blocks")
    assert "RCW 57.08.081" in decision.deciding_reason and "54.16" not in decision.deciding_reason


# --- medical certificates -------------------------------------------------------------------

def test_a_medical_certificate_protects_through_its_last_day():
    certificate = MedicalCertificate(received_on=date(2027, 5, 20), certified_on=date(2027, 5, 24),
                                     expires_on=TUESDAY)
    decision = check(clear_facts(medical_certificates=(certificate,)), TUESDAY, allowed=False,
                     deciding="medical_certificate", rule="medical_certificate", verdict="blocks")
    assert "through July 13, 2027" in decision.deciding_reason
    after = TUESDAY + timedelta(days=1)
    decision = check(clear_facts(after, medical_certificates=(certificate,)), after, allowed=True,
                     deciding="all_clear", rule="medical_certificate", verdict="allows")
    assert "expired on July 13, 2027" in decision.verdict_of("medical_certificate").reason


def test_a_certificate_without_expiry_runs_the_policy_term_from_certification():
    certificate = MedicalCertificate(received_on=date(2027, 5, 12), certified_on=date(2027, 5, 14))
    # 60 days from May 14 is July 13.
    check(clear_facts(medical_certificates=(certificate,)), TUESDAY, allowed=False,
          deciding="medical_certificate", rule="medical_certificate", verdict="blocks")
    after = TUESDAY + timedelta(days=1)
    check(clear_facts(after, medical_certificates=(certificate,)), after, allowed=True, deciding="all_clear",
          rule="medical_certificate", verdict="allows")


def test_medical_notice_postpones_five_business_days_for_the_certificate():
    # Notice Tue 2027-07-06; five business days later is Tue 07-13 (Jul 7, 8, 9, 12, 13).
    notice = MedicalCertificate(received_on=date(2027, 7, 6))
    decision = check(clear_facts(medical_certificates=(notice,)), TUESDAY, allowed=False,
                     deciding="medical_certificate", rule="medical_certificate", verdict="blocks")
    assert "through July 13, 2027" in decision.deciding_reason
    after = TUESDAY + timedelta(days=1)
    check(clear_facts(after, medical_certificates=(notice,)), after, allowed=True, deciding="all_clear",
          rule="medical_certificate", verdict="allows")


def test_a_certificate_lapses_when_the_payment_conditions_are_not_met():
    lapsed = MedicalCertificate(received_on=date(2027, 7, 1), certified_on=date(2027, 7, 2),
                                expires_on=date(2027, 8, 30), conditions_met=False)
    decision = check(clear_facts(medical_certificates=(lapsed,)), TUESDAY, allowed=True, deciding="all_clear",
                     rule="medical_certificate", verdict="allows")
    assert "10%" in decision.verdict_of("medical_certificate").reason


def test_no_more_than_two_certificates_in_120_days():
    first = MedicalCertificate(date(2027, 4, 1), date(2027, 4, 2), date(2027, 4, 30))
    second = MedicalCertificate(date(2027, 5, 10), date(2027, 5, 11), date(2027, 6, 10))
    third = MedicalCertificate(date(2027, 7, 1), date(2027, 7, 2), date(2027, 8, 30))
    decision = check(clear_facts(medical_certificates=(first, second, third)), TUESDAY, allowed=True,
                     deciding="all_clear", rule="medical_certificate", verdict="allows")
    assert "limit of 2" in decision.verdict_of("medical_certificate").reason
    # 120 days after the first, the third is within the limit again.
    late_third = MedicalCertificate(date(2027, 7, 30), date(2027, 8, 2), date(2027, 9, 30))
    on = date(2027, 8, 10)
    check(clear_facts(on, medical_certificates=(first, second, late_third)), on, allowed=False,
          deciding="medical_certificate", rule="medical_certificate", verdict="blocks")


# --- order and facts checks ---------------------------------------------------------------

def test_the_first_blocking_rule_in_the_fixed_order_decides():
    friday = date(2027, 7, 16)
    facts = clear_facts(friday, heat_alert_days=frozenset({friday}), dispute_open=True,
                        past_due_balance=Decimal("10.00"))
    decision = check(facts, friday, allowed=False, deciding="heat_alert", rule="dispute", verdict="blocks")
    blocking = [verdict.rule for verdict in decision.rules if verdict.verdict == "blocks"]
    assert blocking == ["heat_alert", "dispute", "minimum_balance", "business_day"]
    assert decision.verdict_of("all_clear").verdict == "not_applicable"


@pytest.mark.parametrize("changes, field", [
    ({"utility_type": "gas"}, "utility_type"),
    ({"services": frozenset({"steam"})}, "services"),
    ({"services": frozenset()}, "services"),
    ({"past_due_balance": 200}, "past_due_balance"),
    ({"minimum_balance_for_disconnect": Decimal("-1")}, "minimum_balance_for_disconnect"),
    ({"disconnect_hours": (time(16), time(8))}, "disconnect_hours"),
    ({"arrangement": PaymentArrangement("broken")}, "arrangement.last_missed_on"),
    ({"arrangement": PaymentArrangement("late")}, "arrangement.status"),
    ({"final_notice": FinalNotice(date(2027, 7, 1), date(2027, 6, 30), date(2027, 7, 20))},
     "final_notice.valid_from"),
    ({"disconnect_weekdays": frozenset({7})}, "disconnect_weekdays"),
])
def test_facts_that_cannot_be_decided_on_are_refused_naming_the_field(changes, field):
    with pytest.raises(FactsError) as refused:
        clear_facts(**changes)
    assert refused.value.field == field


def test_the_rule_modules_are_pure():
    code = ("import sys; import ratepayer.collections.disconnect_rules, ratepayer.collections.winter_plan, "
            "ratepayer.collections.disconnect_facts; "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'django']; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
