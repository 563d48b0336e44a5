"""May this account be disconnected on this date? The one pure decision and its explanation.

Pure: no Django, no database, no clock. ``decide_disconnect(facts, on)`` takes a
``DisconnectFacts`` of plain values (dates, Decimals, bools, strings) and a date and
returns a ``DisconnectDecision``; the ``ratepayer collections explain`` command, the
account's collections tab and the daily job all call it, so a clerk can read the
customer exactly the reasons the job acted on. The set-based builder that turns the
database into facts for many accounts lives elsewhere (the protections part); this
module never reads anything but its arguments.

The rules are evaluated in this fixed order and every one of them is always reported
(``RULE_ORDER``). The deciding rule is the first that blocks; when none blocks it is
``all_clear``. Statutory protections come first so the reason a clerk reads out is
the durable one (a winter-protected customer hears about the winter rule, not that
today is a Friday); the preconditions follow; the calendar comes last.

 1. ``heat_alert``        RCW 54.16.285(5) (PUD), RCW 35.21.302 (city), RCW 57.08.081(8)
                          (water-sewer): no residential electric or water disconnection on a
                          day the National Weather Service has a heat alert for the premise's
                          zone. A premise with no zone recorded cannot be checked, so it blocks.
 2. ``winter_protection`` RCW 54.16.285(1) (PUD) / RCW 35.21.300 (city): Nov 15 - Mar 15,
                          residential space heating, customer notified, income documented by
                          a grantee (its 7 %-of-income figure), heating and weatherization
                          assistance applied for, a plan agreed and not in default. Default is
                          judged against the ceiling (7 % of monthly income + 1/12 of arrears
                          since application), never the higher agreed amount. A past-due
                          balance left unpaid after a previous Oct 15 forfeits eligibility.
 3. ``medical_certificate`` WAC 480-100-128 practice: notice postpones for 5 business days;
                          a certificate received in that grace protects through its expiry;
                          no more than the policy's count per 120 days.
 4. ``dispute``           an open bill dispute holds collection (WAC 480-100-128 practice).
 5. ``arrangement``       a kept payment arrangement protects; a broken one no longer does.
 6. ``minimum_balance``   the policy's minimum past-due balance for disconnection.
 7. ``delinquency_30_days`` RCW 57.08.081(5): water-sewer cut-off only once charges are 30
                          days delinquent (day 29 blocks, day 30 allows).
 8. ``final_notice``      a final (disconnect) notice served, its window open, not expired.
 9. ``landlord_copy``     RCW 57.08.081(7): a registered owner's copy of the tenant's
                          delinquency notice must have been sent.
10. ``business_day``      WAC 480-100-128 practice and the utility's policy: an allowed
                          weekday (no Friday by default), not a holiday or closure, not the
                          day before one (the office must be open to reconnect).
11. ``business_hours``    only inside the policy's disconnect hours, when a time is given.
12. ``all_clear``         allows when nothing blocks; otherwise not_applicable.

The reasons are sentences a clerk can read to a customer; each names the statute or
the practice it rests on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from ratepayer.collections.winter_plan import (
    add_months,
    winter_ceiling_from_grantee_figure,
    winter_in_default,
)
from ratepayer.kernel.money import format_money
from ratepayer.kernel.periods import BusinessCalendar

UTILITY_TYPES = ("pud", "water_sewer", "city")
SERVICES = ("electric", "water", "sewer")
VERDICTS = ("blocks", "allows", "not_applicable")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")  # not calendar.month_name, which follows the locale
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

RULE_ORDER = (
    "heat_alert",
    "winter_protection",
    "medical_certificate",
    "dispute",
    "arrangement",
    "minimum_balance",
    "delinquency_30_days",
    "final_notice",
    "landlord_copy",
    "business_day",
    "business_hours",
    "all_clear",
)

WINTER_START = (11, 15)  # November 15
WINTER_END = (3, 15)  # March 15, inclusive


class FactsError(ValueError):
    """Facts that cannot be decided on; ``field`` names the fact, ``problem`` says why."""

    def __init__(self, field_name: str, problem: str):
        self.field, self.problem = field_name, problem
        super().__init__(f"{field_name}: {problem}")


@dataclass(frozen=True)
class WinterProtectionRequest:
    """The customer's request for winter protection (RCW 54.16.285(1)(a)-(f))."""

    notified_on: date | None = None
    """The day the customer told the utility they cannot pay (duty a)."""
    annual_seven_percent_of_income: Decimal | None = None
    """The grantee's figure: 7 % of the household's income for the prior 12 months, a
    yearly dollar amount (duty b). None while income is not yet documented."""
    liheap_applied: bool = False
    """Applied for home heating assistance (duty c)."""
    weatherization_applied: bool = False
    """Applied for low-income weatherization assistance (duty d)..."""
    weatherization_available: bool = True
    """...which is only required where it is available."""
    plan_agreed: bool = False
    """Agreed to a payment plan that pays the past-due bill by Oct 15 (duty e)."""
    agreed_monthly_payment: Decimal | None = None
    """What the customer agreed to pay a month (may be more than the ceiling)."""
    arrears_since_application: Decimal = Decimal("0")
    """Arrears accrued from the application date through Mar 15."""
    plan_first_due: date | None = None
    """The first plan installment's due date; later ones fall on the same day monthly."""
    paid_under_plan: Decimal = Decimal("0")
    """Total paid under the plan since it started."""
    prior_winter_balance_unpaid: bool = False
    """A previous winter plan's past-due balance was not paid by Oct 15 and is still owed:
    the customer is not eligible again until it is paid."""


@dataclass(frozen=True)
class MedicalCertificate:
    """A medical emergency notice and, once received, its written certification."""

    received_on: date
    """The day the customer (or someone for them) gave notice of the medical emergency."""
    certified_on: date | None = None
    """The day the written certification from a qualified professional arrived."""
    expires_on: date | None = None
    """The last protected day; None means the policy's term counted from certification."""
    conditions_met: bool = True
    """The customer paid at least 10 % of the delinquent balance within the grace period and
    agreed to pay the rest within 120 days; False ends the protection after the grace."""


@dataclass(frozen=True)
class PaymentArrangement:
    """The account's active payment arrangement."""

    status: str = "kept"
    """"kept" or "broken"."""
    last_missed_on: date | None = None
    """The installment date missed that broke it (required when broken)."""


@dataclass(frozen=True)
class FinalNotice:
    """The final (disconnect) notice served on the account."""

    served_on: date
    valid_from: date
    """The first day disconnection is allowed under the notice."""
    expires_on: date
    """The last day the notice is good for; after it a new notice cycle is needed."""


@dataclass(frozen=True)
class DisconnectFacts:
    """Everything the decision needs about one account, as plain values.

    The policy values (minimum balance, weekdays, hours, medical limits) come from the
    utility's collection policy in force on the date; their defaults here are the
    common Washington practice (Jefferson PUD: no Friday, $75 minimum).
    """

    utility_type: str
    """"pud", "water_sewer" or "city"."""
    services: frozenset[str]
    """Services at the premise: any of "electric", "water", "sewer"."""
    residential: bool
    space_heating: bool = False
    """The premise is heated by this utility's service (winter protection)."""
    nws_zone: str | None = None
    """The premise's National Weather Service zone, e.g. "WAZ558"."""
    heat_alert_days: frozenset[date] = frozenset()
    """Days the NWS issued (or announced) a heat-related alert for that zone."""
    winter_request: WinterProtectionRequest | None = None
    medical_certificates: tuple[MedicalCertificate, ...] = ()
    """Every medical emergency reported in the 120 days before the date, and any older one
    whose certificate is still in force (the limit per 120 days counts from these)."""
    dispute_open: bool = False
    arrangement: PaymentArrangement | None = None
    past_due_balance: Decimal = Decimal("0")
    minimum_balance_for_disconnect: Decimal = Decimal("0")
    oldest_unpaid_due_date: date | None = None
    """Due date of the oldest unpaid charge; days delinquent count from it."""
    final_notice: FinalNotice | None = None
    landlord_registered: bool = False
    """Water-sewer: the owner registered the premise as a rental and asked for copies."""
    landlord_copy_sent: bool = False
    """Water-sewer: the owner was sent the tenant's delinquency notice."""
    closure_dates: frozenset[date] = frozenset()
    """The utility's own closure days, in addition to US and Washington holidays."""
    disconnect_weekdays: frozenset[int] = frozenset({0, 1, 2, 3})
    """Weekdays disconnection is allowed (Monday=0); no Friday by default."""
    disconnect_hours: tuple[time, time] = (time(8, 0), time(16, 0))
    """Start and end of the disconnect hours (start inclusive, end exclusive)."""
    at: time | None = None
    """The clock time of the intended disconnection, when one is given."""
    medical_grace_business_days: int = 5
    medical_certificate_term_days: int = 60
    medical_certificates_per_120_days: int = 2
    water_sewer_cutoff_days: int = 30

    def __post_init__(self) -> None:
        if self.utility_type not in UTILITY_TYPES:
            raise FactsError("utility_type", f"{self.utility_type!r} is not one of {', '.join(UTILITY_TYPES)}")
        services = frozenset(self.services)
        unknown = sorted(services - set(SERVICES))
        if unknown:
            raise FactsError("services", f"{', '.join(map(repr, unknown))} is not one of {', '.join(SERVICES)}")
        if not services:
            raise FactsError("services", "name at least one service at the premise")
        object.__setattr__(self, "services", services)
        object.__setattr__(self, "heat_alert_days", frozenset(self.heat_alert_days))
        object.__setattr__(self, "closure_dates", frozenset(self.closure_dates))
        object.__setattr__(self, "disconnect_weekdays", frozenset(self.disconnect_weekdays))
        object.__setattr__(self, "medical_certificates", tuple(self.medical_certificates))
        for name in ("past_due_balance", "minimum_balance_for_disconnect"):
            _require_amount(name, getattr(self, name))
        if any(not 0 <= day <= 6 for day in self.disconnect_weekdays):
            raise FactsError("disconnect_weekdays", "weekdays are 0 (Monday) to 6 (Sunday)")
        start, end = self.disconnect_hours
        if not start < end:
            raise FactsError("disconnect_hours", f"start {start:%H:%M} is not before end {end:%H:%M}")
        if self.arrangement is not None:
            if self.arrangement.status not in ("kept", "broken"):
                raise FactsError("arrangement.status", f"{self.arrangement.status!r} is not 'kept' or 'broken'")
            if self.arrangement.status == "broken" and self.arrangement.last_missed_on is None:
                raise FactsError("arrangement.last_missed_on", "a broken arrangement needs the date it was missed")
        if self.winter_request is not None:
            request = self.winter_request
            if request.annual_seven_percent_of_income is not None:
                _require_amount("winter_request.annual_seven_percent_of_income",
                                request.annual_seven_percent_of_income)
            if request.agreed_monthly_payment is not None:
                _require_amount("winter_request.agreed_monthly_payment", request.agreed_monthly_payment)
            _require_amount("winter_request.arrears_since_application", request.arrears_since_application)
            _require_amount("winter_request.paid_under_plan", request.paid_under_plan)
        for index, certificate in enumerate(self.medical_certificates):
            if certificate.certified_on is not None and certificate.certified_on < certificate.received_on:
                raise FactsError(f"medical_certificates[{index}].certified_on",
                                 "certified before the notice was received")
        if self.final_notice is not None:
            notice = self.final_notice
            if notice.valid_from < notice.served_on:
                raise FactsError("final_notice.valid_from", "the window opens before the notice was served")
            if notice.expires_on < notice.valid_from:
                raise FactsError("final_notice.expires_on", "the notice expires before its window opens")
        for name in ("medical_grace_business_days", "medical_certificate_term_days",
                     "medical_certificates_per_120_days", "water_sewer_cutoff_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FactsError(name, f"{value!r} is not a whole number of zero or more")


def _require_amount(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise FactsError(name, f"{value!r} is not an amount (give a Decimal, e.g. 125.00)")
    if value < 0:
        raise FactsError(name, f"{value} is negative")


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    verdict: str  # "blocks" | "allows" | "not_applicable"
    reason: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "verdict": self.verdict, "reason": self.reason}


@dataclass(frozen=True)
class DisconnectDecision:
    date: date
    disconnect_allowed: bool
    deciding_rule: str
    rules: tuple[RuleVerdict, ...] = field(default_factory=tuple)

    @property
    def deciding_reason(self) -> str:
        return next(verdict.reason for verdict in self.rules if verdict.rule == self.deciding_rule)

    def verdict_of(self, rule: str) -> RuleVerdict:
        return next(verdict for verdict in self.rules if verdict.rule == rule)

    def as_dict(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "disconnect_allowed": self.disconnect_allowed,
            "deciding_rule": self.deciding_rule,
            "rules": [verdict.as_dict() for verdict in self.rules],
        }


# --- helpers ------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{MONTH_NAMES[value.month - 1]} {value.day}, {value.year}"


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"  # strftime is ten times slower


def _in_winter(on: date) -> bool:
    return (on.month, on.day) >= WINTER_START or (on.month, on.day) <= WINTER_END


def _monthly_due_dates(first_due: date, through: date) -> list[date]:
    """The plan's monthly due dates from ``first_due`` up to ``through`` inclusive, on
    the same day of each month (the month's last day when it is shorter)."""
    dates: list[date] = []
    while (due := add_months(first_due, len(dates))) <= through:
        dates.append(due)
    return dates


def _statute_for_winter(facts: DisconnectFacts) -> str:
    return "RCW 35.21.300" if facts.utility_type == "city" else "RCW 54.16.285"


def _statute_for_heat(facts: DisconnectFacts) -> str:
    return {"pud": "RCW 54.16.285(5)", "city": "RCW 35.21.302",
            "water_sewer": "RCW 57.08.081(8)"}[facts.utility_type]


# --- the rules, in order ---------------------------------------------------------------


def _heat_alert(facts: DisconnectFacts, on: date) -> RuleVerdict:
    statute = _statute_for_heat(facts)
    heat_services = sorted(facts.services & {"electric", "water"})
    if not facts.residential:
        return RuleVerdict("heat_alert", "not_applicable",
                           f"The heat-alert rule ({statute}) protects residential service; this account is not "
                           "residential.")
    if not heat_services:
        return RuleVerdict("heat_alert", "not_applicable",
                           f"The heat-alert rule ({statute}) covers electric and water service; this premise has "
                           "neither.")
    services = " and ".join(heat_services)
    if not facts.nws_zone:
        return RuleVerdict("heat_alert", "blocks",
                           f"Under {statute} {services} service may not be disconnected on a National Weather "
                           "Service heat-alert day for the premise's area. No weather zone is recorded for this "
                           "premise, so the heat-alert rule cannot be checked; service stays on until a zone is "
                           "recorded.")
    if on in facts.heat_alert_days:
        return RuleVerdict("heat_alert", "blocks",
                           f"The National Weather Service has a heat alert for zone {facts.nws_zone} on "
                           f"{_day(on)}. Under {statute} residential {services} service may not be disconnected "
                           "on a heat-alert day.")
    return RuleVerdict("heat_alert", "allows",
                       f"There is no National Weather Service heat alert for zone {facts.nws_zone} on {_day(on)}, "
                       f"so the heat-alert rule ({statute}) does not stop disconnection.")


def _winter_protection(facts: DisconnectFacts, on: date) -> RuleVerdict:
    rule = "winter_protection"
    if facts.utility_type == "water_sewer":
        return RuleVerdict(rule, "not_applicable",
                           "The winter protection of RCW 54.16.285 and RCW 35.21.300 applies to space-heating "
                           "service of public utility districts and cities, not to water-sewer districts.")
    statute = _statute_for_winter(facts)
    if not _in_winter(on):
        return RuleVerdict(rule, "not_applicable",
                           f"{_day(on)} is outside the winter protection period (November 15 to March 15, "
                           f"{statute}).")
    if not facts.residential or not facts.space_heating or "electric" not in facts.services:
        return RuleVerdict(rule, "not_applicable",
                           f"Winter protection under {statute} covers residential space-heating service; this "
                           "account is not a residential premise heated by our service.")
    request = facts.winter_request
    if request is None or request.notified_on is None or request.notified_on > on:
        return RuleVerdict(rule, "allows",
                           f"It is the winter protection period, but the customer has not told us they cannot "
                           f"pay. Under {statute} a customer who does so, documents their income with an energy "
                           "assistance agency and agrees to a payment plan cannot be disconnected until March 15.")
    if request.prior_winter_balance_unpaid:
        return RuleVerdict(rule, "allows",
                           f"A past-due balance from an earlier winter payment plan was not paid by October 15. "
                           f"Under {statute} the customer is not eligible for winter protection again until it "
                           "is paid.")
    missing = []
    figure = request.annual_seven_percent_of_income
    if figure is None:
        missing.append("documented their household income with an energy assistance agency")
    if not request.liheap_applied:
        missing.append("applied for home heating assistance")
    if request.weatherization_available and not request.weatherization_applied:
        missing.append("applied for low-income weatherization assistance")
    if not request.plan_agreed:
        missing.append("agreed to a payment plan that pays the past-due bill by October 15")
    if missing or figure is None:
        return RuleVerdict(rule, "allows",
                           f"The customer asked for winter protection on {_day(request.notified_on)}, but under "
                           f"{statute} they must also have {_join(missing)}; until then winter protection does "
                           "not stop disconnection.")
    ceiling = winter_ceiling_from_grantee_figure(figure, request.arrears_since_application)
    if request.plan_first_due is None:
        return RuleVerdict(rule, "blocks",
                           f"The customer has met the winter protection requirements of {statute} and their plan "
                           f"has no payment due yet; service may not be disconnected through March 15.")
    due_dates = _monthly_due_dates(request.plan_first_due, on)
    required = ceiling * len(due_dates)
    agreed = request.agreed_monthly_payment
    if winter_in_default(request.paid_under_plan, len(due_dates), ceiling):
        return RuleVerdict(rule, "allows",
                           f"The customer has paid {format_money(request.paid_under_plan)} under the winter plan, "
                           f"less than the {format_money(required)} due by {_day(on)} at the most {statute} lets "
                           f"a plan require ({format_money(ceiling)} a month: 7% of monthly income plus 1/12 of "
                           "the arrears since application). The plan is in default, so winter protection no longer "
                           "stops disconnection.")
    higher = ""
    if agreed is not None and agreed > ceiling:
        higher = (f" They agreed to {format_money(agreed)} a month, but under {statute} a customer is not in "
                  f"default while paying at least {format_money(ceiling)} a month (7% of monthly income plus "
                  "1/12 of the arrears since application).")
    return RuleVerdict(rule, "blocks",
                       f"The customer is protected for the winter under {statute}: they told us they cannot pay, "
                       f"documented their income, applied for assistance and are keeping their payment plan "
                       f"({format_money(request.paid_under_plan)} paid, {format_money(required)} required so far)."
                       f"{higher} Service may not be disconnected through March 15.")


def _join(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _medical_certificate(facts: DisconnectFacts, on: date, business: BusinessCalendar) -> RuleVerdict:
    rule = "medical_certificate"
    if not facts.medical_certificates:
        return RuleVerdict(rule, "not_applicable", "No medical emergency has been reported for this household.")
    ordered = sorted(facts.medical_certificates, key=lambda certificate: certificate.received_on)
    limit = facts.medical_certificates_per_120_days
    notes: list[str] = []
    for index, certificate in enumerate(ordered):
        if certificate.received_on > on:
            continue
        earlier = [other for other in ordered[:index]
                   if certificate.received_on - timedelta(days=120) < other.received_on]
        if len(earlier) >= limit:
            notes.append(f"the notice of {_day(certificate.received_on)} is beyond the limit of {limit} medical "
                         "certificates in 120 days")
            continue
        grace_end = business.add_business_days(certificate.received_on, facts.medical_grace_business_days)
        if certificate.certified_on is not None and certificate.certified_on <= on:
            expires = certificate.expires_on or (
                certificate.certified_on + timedelta(days=facts.medical_certificate_term_days))
            protected_from = certificate.received_on if certificate.certified_on <= grace_end \
                else certificate.certified_on
            if not certificate.conditions_met and on > grace_end:
                notes.append(f"the medical certificate of {_day(certificate.certified_on)} lapsed because the "
                             "customer did not pay at least 10% of the delinquent balance and agree to pay the rest "
                             "within 120 days")
                continue
            if protected_from <= on <= expires:
                return RuleVerdict(rule, "blocks",
                                   f"A medical certificate received on {_day(certificate.certified_on)} protects "
                                   f"this household through {_day(expires)} (WAC 480-100-128 practice, "
                                   "adopted in our policy). Service may not be disconnected before then.")
            if on > expires:
                notes.append(f"the medical certificate expired on {_day(expires)}")
                continue
        if on <= grace_end:
            return RuleVerdict(rule, "blocks",
                               f"A medical emergency was reported on {_day(certificate.received_on)}. "
                               f"Disconnection is postponed for {facts.medical_grace_business_days} business days, "
                               f"through {_day(grace_end)}, for a written certificate from a doctor, nurse "
                               "practitioner or physician assistant (WAC 480-100-128 practice).")
        notes.append(f"no written certificate arrived within {facts.medical_grace_business_days} business days of "
                     f"the notice of {_day(certificate.received_on)}")
    if not notes:
        return RuleVerdict(rule, "not_applicable", f"No medical emergency had been reported by {_day(on)}.")
    return RuleVerdict(rule, "allows",
                       f"No medical certificate protects this household on {_day(on)}: {'; '.join(notes)} "
                       "(WAC 480-100-128 practice).")


def _dispute(facts: DisconnectFacts, on: date) -> RuleVerdict:
    if facts.dispute_open:
        return RuleVerdict("dispute", "blocks",
                           "The customer has an open dispute about the bill. Collection of the disputed amount is "
                           "on hold, and service may not be disconnected while the dispute is open "
                           "(WAC 480-100-128 practice, adopted in our policy).")
    return RuleVerdict("dispute", "allows", "There is no open dispute about the bill.")


def _arrangement(facts: DisconnectFacts, on: date) -> RuleVerdict:
    arrangement = facts.arrangement
    if arrangement is None:
        return RuleVerdict("arrangement", "allows", "There is no payment arrangement on the account.")
    if arrangement.status == "broken" and arrangement.last_missed_on is not None \
            and arrangement.last_missed_on <= on:
        return RuleVerdict("arrangement", "allows",
                           f"The payment arrangement was broken when the payment due on "
                           f"{_day(arrangement.last_missed_on)} was missed. A broken arrangement no longer "
                           "protects the account from disconnection (WAC 480-100-138 practice).")
    return RuleVerdict("arrangement", "blocks",
                       "The customer has a payment arrangement and is keeping it. Service may not be disconnected "
                       "while the arrangement is kept (WAC 480-100-138 practice, adopted in our policy).")


def _minimum_balance(facts: DisconnectFacts, on: date) -> RuleVerdict:
    past_due, minimum = facts.past_due_balance, facts.minimum_balance_for_disconnect
    if past_due <= 0:
        return RuleVerdict("minimum_balance", "blocks", "Nothing is past due on the account.")
    if past_due < minimum:
        return RuleVerdict("minimum_balance", "blocks",
                           f"The past-due balance of {format_money(past_due)} is below {format_money(minimum)}, "
                           "the smallest balance for which our policy allows disconnection.")
    return RuleVerdict("minimum_balance", "allows",
                       f"The past-due balance of {format_money(past_due)} is at least {format_money(minimum)}, the "
                       "smallest balance for which our policy allows disconnection.")


def _delinquency_30_days(facts: DisconnectFacts, on: date) -> RuleVerdict:
    rule = "delinquency_30_days"
    if facts.utility_type != "water_sewer":
        return RuleVerdict(rule, "not_applicable",
                           "The 30-day delinquency rule of RCW 57.08.081(5) applies to water-sewer districts; "
                           "our notice timeline governs here.")
    days = facts.water_sewer_cutoff_days
    due = facts.oldest_unpaid_due_date
    if due is None:
        return RuleVerdict(rule, "blocks",
                           "No charge is delinquent, and under RCW 57.08.081(5) a water-sewer district may cut "
                           f"off service only after charges are {days} days delinquent.")
    late = (on - due).days
    if late < days:
        return RuleVerdict(rule, "blocks",
                           f"The oldest unpaid charge was due on {_day(due)} and is {max(late, 0)} days "
                           f"delinquent. Under RCW 57.08.081(5) service may be cut off only after {days} days, "
                           f"on {_day(due + timedelta(days=days))} at the earliest.")
    return RuleVerdict(rule, "allows",
                       f"The oldest unpaid charge was due on {_day(due)} and is {late} days delinquent, at least "
                       f"the {days} days RCW 57.08.081(5) requires before a cut-off.")


def _final_notice(facts: DisconnectFacts, on: date) -> RuleVerdict:
    notice = facts.final_notice
    if notice is None or notice.served_on > on:
        law = {"pud": "RCW 54.16.285(2) and WAC 480-100-128 practice",
               "city": "RCW 35.21.300 and WAC 480-100-128 practice",
               "water_sewer": "RCW 57.08.081 and the district's resolution"}[facts.utility_type]
        return RuleVerdict("final_notice", "blocks",
                           "No final (disconnect) notice has been served. Service may be disconnected only after "
                           f"a final notice telling the customer the amount, the date and their rights ({law}).")
    if on < notice.valid_from:
        return RuleVerdict("final_notice", "blocks",
                           f"The final notice served on {_day(notice.served_on)} allows disconnection from "
                           f"{_day(notice.valid_from)}; that day has not come.")
    if on > notice.expires_on:
        return RuleVerdict("final_notice", "blocks",
                           f"The final notice served on {_day(notice.served_on)} expired on "
                           f"{_day(notice.expires_on)}. A new notice must be served before service can be "
                           "disconnected (WAC 480-100-128 practice).")
    return RuleVerdict("final_notice", "allows",
                       f"The final notice served on {_day(notice.served_on)} allows disconnection from "
                       f"{_day(notice.valid_from)} through {_day(notice.expires_on)}.")


def _landlord_copy(facts: DisconnectFacts, on: date) -> RuleVerdict:
    if facts.utility_type != "water_sewer":
        return RuleVerdict("landlord_copy", "not_applicable",
                           "Copies to a registered landlord (RCW 57.08.081(7)) are a water-sewer district duty.")
    if not facts.landlord_registered:
        return RuleVerdict("landlord_copy", "not_applicable",
                           "No owner has registered this premise as a rental, so no landlord copy is required "
                           "(RCW 57.08.081(7)).")
    if facts.landlord_copy_sent:
        return RuleVerdict("landlord_copy", "allows",
                           "The registered owner was sent a copy of the tenant's delinquency notice, as "
                           "RCW 57.08.081(7) requires.")
    return RuleVerdict("landlord_copy", "blocks",
                       "The owner registered this premise as a rental, and under RCW 57.08.081(7) must be told of "
                       "the tenant's delinquency at the same time and in the same way as the tenant. No copy was "
                       "sent, so service may not be cut off until it is (without it the district also has no "
                       "lien for these charges).")


def _business_day(facts: DisconnectFacts, on: date, business: BusinessCalendar) -> RuleVerdict:
    weekday = WEEKDAY_NAMES[on.weekday()]
    if not business.is_business_day(on):
        return RuleVerdict("business_day", "blocks",
                           f"{_day(on)} is a {weekday} the office is closed (weekend, holiday or closure). "
                           "Service is disconnected only on business days, when it can be reconnected the same "
                           "day (WAC 480-100-128 practice).")
    if on.weekday() not in facts.disconnect_weekdays:
        allowed = ", ".join(WEEKDAY_NAMES[day] for day in sorted(facts.disconnect_weekdays)) or "no day"
        return RuleVerdict("business_day", "blocks",
                           f"{_day(on)} is a {weekday}. Our policy allows disconnection only on {allowed}, so a "
                           "customer can always reach the office the next day (WAC 480-100-128 practice).")
    next_day = on + timedelta(days=1)
    if not business.is_business_day(next_day) and next_day.weekday() < 5:
        return RuleVerdict("business_day", "blocks",
                           f"The office is closed on {_day(next_day)} (a holiday or closure). Service is not "
                           "disconnected on the day before the office is closed, so it can be reconnected "
                           "(WAC 480-100-128 practice).")
    if not business.is_business_day(next_day):
        return RuleVerdict("business_day", "blocks",
                           f"The office is closed on {_day(next_day)}. Service is not disconnected on the day "
                           "before the office is closed, so it can be reconnected (WAC 480-100-128 practice).")
    return RuleVerdict("business_day", "allows",
                       f"{_day(on)} is a {weekday} and a business day, and the office is open the next day.")


def _business_hours(facts: DisconnectFacts, on: date) -> RuleVerdict:
    start, end = facts.disconnect_hours
    hours = f"{_hhmm(start)} to {_hhmm(end)}"
    if facts.at is None:
        return RuleVerdict("business_hours", "not_applicable",
                           f"No time was given; disconnection is allowed only from {hours} (WAC 480-100-128 "
                           "practice).")
    if start <= facts.at < end:
        return RuleVerdict("business_hours", "allows",
                           f"{_hhmm(facts.at)} is within the disconnect hours, {hours}.")
    return RuleVerdict("business_hours", "blocks",
                       f"{_hhmm(facts.at)} is outside the disconnect hours, {hours} (WAC 480-100-128 practice).")


def decide_disconnect(facts: DisconnectFacts, on: date) -> DisconnectDecision:
    """Apply every rule in ``RULE_ORDER`` to ``facts`` on ``on``; the first that blocks decides."""
    if not isinstance(facts, DisconnectFacts):
        raise TypeError("decide_disconnect needs DisconnectFacts")
    if not isinstance(on, date):
        raise TypeError("decide_disconnect needs a date")
    business = BusinessCalendar(facts.closure_dates)
    rules: list[Callable[[], RuleVerdict]] = [
        lambda: _heat_alert(facts, on),
        lambda: _winter_protection(facts, on),
        lambda: _medical_certificate(facts, on, business),
        lambda: _dispute(facts, on),
        lambda: _arrangement(facts, on),
        lambda: _minimum_balance(facts, on),
        lambda: _delinquency_30_days(facts, on),
        lambda: _final_notice(facts, on),
        lambda: _landlord_copy(facts, on),
        lambda: _business_day(facts, on, business),
        lambda: _business_hours(facts, on),
    ]
    verdicts = [evaluate() for evaluate in rules]
    blocking = [verdict for verdict in verdicts if verdict.verdict == "blocks"]
    if blocking:
        names = ", ".join(verdict.rule for verdict in blocking)
        count = "one rule stops it" if len(blocking) == 1 else f"{len(blocking)} rules stop it"
        verdicts.append(RuleVerdict("all_clear", "not_applicable",
                                    f"Disconnection is not allowed on {_day(on)}: {count} ({names})."))
        deciding = blocking[0].rule
    else:
        verdicts.append(RuleVerdict("all_clear", "allows",
                                    f"No rule stops disconnection on {_day(on)}."))
        deciding = "all_clear"
    assert tuple(verdict.rule for verdict in verdicts) == RULE_ORDER
    return DisconnectDecision(on, not blocking, deciding, tuple(verdicts))

