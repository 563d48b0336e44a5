"""The database → ``disconnect_rules.DisconnectFacts``, for many accounts at once.

Set-based: ``facts_for_accounts(ids, on)`` reads a fixed number of queries whatever the
number of accounts (``tests/collections/test_facts.py`` counts them on two sizes):

* the collection policy in force (``queries.PolicyTable``, one query) and the daily job's own
  reads of accounts, agreements, open charges, notices and orders (``actions.daily._load``),
  from which the past-due balance, the oldest unpaid due date and the final notice come —
  exactly as the daily job computes them;
* ``add_protections`` — the protections this part records: the premises' NWS zones and the
  heat alerts there, medical certificates (and payments made in their grace period),
  disputes, winter-protection requests (with the winter plan's installments), payment
  arrangements (``queries.active_arrangements``) and registered landlords.

The daily job calls ``add_protections`` on each chunk through
``actions.daily.register_facts_builder`` (``collections.apps``); ``ratepayer collections
explain ACCOUNT`` calls ``facts_for_account``. Everything is read as it stood on ``on``: a
dispute closed later was open then, a certificate closed later still protected.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import CommandError
from django.db.models import Q

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.payments.models import Payment

from . import queries
from .actions import daily
from .disconnect_rules import DisconnectFacts, MedicalCertificate, PaymentArrangement, WinterProtectionRequest
from .models.plans import ArrangementInstallment
from .models.plans import PaymentArrangement as ArrangementRow
from .models.protections import Dispute, HeatAlert, PremiseZone, RegisteredLandlord, WinterProtection
from .models.protections import MedicalCertificate as CertificateRow

ZERO = Decimal("0.00")
HEAT_ALERT_WINDOW_DAYS = 7  # alerts this many days either side of the date go in the facts (for the clerk)
MEDICAL_LOOKBACK_DAYS = 120  # the policy's limit counts the certificates of the last 120 days


def facts_for_accounts(account_ids, on: date) -> dict[int, DisconnectFacts]:
    """The facts of each account on ``on`` (accounts with no agreement at all are left out)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    policies = queries.PolicyTable(on)
    accounts = daily._load(ids, on)
    base: dict[int, DisconnectFacts] = {}
    for acct in accounts.values():
        past = [c for c in acct.charges if c.due_on < on]
        past_due = sum((c.amount for c in past), ZERO)
        billed = [c for c in past if c.billed]
        oldest_due = min((c.due_on for c in billed), default=None) or min((c.due_on for c in past), default=None)
        policy = daily._policy(acct, policies, billed[0] if billed else None)
        if policy is None or not acct.agreements:
            continue
        base[acct.id] = daily.build_facts(acct, on, policy, max(past_due, ZERO), oldest_due,
                                          _final_notice(acct.notices, on))
    return add_protections(sorted(base), on, base)


def _final_notice(notices: list[dict], on: date) -> dict | None:
    """The final notice the decision looks at: one whose window is open on ``on``, else the
    latest served by then (so an expired one is named as expired)."""
    finals = [n for n in notices if n["kind"] == "final" and n["valid_from"] and n["served_on"] <= on]
    open_now = [n for n in finals if n["valid_from"] <= on <= n["valid_until"]]
    chosen = open_now or finals
    return max(chosen, key=lambda n: (n["served_on"], n["pk"])) if chosen else None


def facts_for_account(account_number: str, on: date) -> DisconnectFacts:
    """One account's facts (``ratepayer collections explain ACCOUNT``); a clear refusal when
    the account does not exist or has nothing a decision could be made on."""
    number = (account_number or "").strip()
    account_id = Account.objects.filter(number=number).values_list("pk", flat=True).first()
    if account_id is None:
        raise CommandError(f"account {number!r}: there is no such account")
    facts = facts_for_accounts([account_id], on).get(account_id)
    if facts is None:
        raise CommandError(f"account {number}: no active service agreement or no collection policy in force on "
                           f"{on}; nothing to decide")
    return facts


def add_protections(account_ids, on: date, facts_by_account: dict[int, DisconnectFacts]
                    ) -> dict[int, DisconnectFacts]:
    """``facts_by_account`` with the protections recorded for these accounts (ten queries,
    whatever the number of accounts)."""
    ids = sorted(set(account_ids) & set(facts_by_account))
    if not ids:
        return facts_by_account
    # 1. premises served (active agreements), their zones and the alerts there
    premises: dict[int, set[int]] = {}
    for account_id, premise_id in (ServiceAgreement.objects.filter(account_id__among=ids, status="active")
                                   .values_list("account_id", "service_point__premise_id")):
        premises.setdefault(account_id, set()).add(premise_id)
    all_premises = sorted({p for ps in premises.values() for p in ps})
    zone_of = dict(PremiseZone.objects.filter(premise_id__among=all_premises).values_list("premise_id", "zone"))
    alert_days: dict[str, set[date]] = {}
    zones = sorted(set(zone_of.values()))
    if zones:
        window = (on - timedelta(days=HEAT_ALERT_WINDOW_DAYS), on + timedelta(days=HEAT_ALERT_WINDOW_DAYS))
        # an alert withdrawn was entered in error: never a fact
        for zone, day in (HeatAlert.objects.filter(zone__in=zones, day__range=window, status="active")
                          .values_list("zone", "day")):
            alert_days.setdefault(zone, set()).add(day)
    # 2. medical certificates in the last 120 days or still in force, and payments in their grace
    certificates: dict[int, list[CertificateRow]] = {}
    for cert in (CertificateRow.objects.filter(account_id__among=ids, notified_on__lte=on)
                 .filter(Q(notified_on__gt=on - timedelta(days=MEDICAL_LOOKBACK_DAYS)) | Q(expires_on__gte=on))
                 .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on)).order_by("notified_on", "pk")):
        certificates.setdefault(cert.account_id, []).append(cert)
    paid_in_grace: dict[int, Decimal] = {}
    grace_accounts = sorted(certificates)
    if grace_accounts:
        earliest = min(c.notified_on for cs in certificates.values() for c in cs)
        payments: dict[int, list[tuple[date, Decimal]]] = {}
        for account_id, received_on, amount in (Payment.objects.filter(
                account_id__among=grace_accounts, received_on__gte=earliest, received_on__lte=on, status="posted")
                .values_list("account_id", "received_on", "amount")):
            payments.setdefault(account_id, []).append((received_on, amount))
        for account_id, certs in certificates.items():
            for cert in certs:
                paid_in_grace[cert.pk] = sum((a for d, a in payments.get(account_id, [])
                                              if cert.notified_on <= d <= cert.payment_due_on), ZERO)
    # 3. disputes open on the day
    disputed = set(Dispute.objects.filter(account_id__among=ids, opened_on__lte=on)
                   .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on)).values_list("account_id", flat=True))
    # 4. winter-protection requests of the winter the day is in, or (made early) of the next one
    winter: dict[int, WinterProtection] = {}
    for request in (WinterProtection.objects.filter(account_id__among=ids, notified_on__lte=on,
                                                    season_start__gt=on - timedelta(days=366))
                    .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on)).order_by("notified_on", "pk")):
        winter[request.account_id] = request
    # 5. payment arrangements (two queries) and the winter plans' installments (one)
    arrangements = queries.active_arrangements(ids, on)
    winter_plans: dict[int, list[tuple[date, Decimal, Decimal]]] = {}
    plan_ids = {s.arrangement_id: a for a, s in arrangements.items() if s.kind == ArrangementRow.Kind.WINTER}
    if plan_ids:
        for arrangement_id, due, amount, paid in (ArrangementInstallment.objects.filter(
                arrangement_id__among=sorted(plan_ids)).order_by("arrangement_id", "sequence")
                .values_list("arrangement_id", "due_date", "amount", "paid_amount")):
            winter_plans.setdefault(plan_ids[arrangement_id], []).append((due, amount, paid))
    # 6. registered landlords of the premises
    landlords = set(RegisteredLandlord.objects.filter(premise_id__among=all_premises, request_received_on__lte=on)
                    .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on)).values_list("premise_id", flat=True))

    result = dict(facts_by_account)
    for account_id in ids:
        facts = result[account_id]
        account_zones = sorted({zone_of[p] for p in premises.get(account_id, ()) if p in zone_of})
        zone = account_zones[0] if account_zones else None
        days = set().union(*(alert_days.get(z, set()) for z in account_zones)) if account_zones else set()
        standing = arrangements.get(account_id)
        result[account_id] = replace(
            facts,
            nws_zone=zone,
            heat_alert_days=frozenset(days),
            medical_certificates=tuple(_certificate(c, paid_in_grace.get(c.pk, ZERO), on)
                                       for c in certificates.get(account_id, [])),
            dispute_open=account_id in disputed,
            winter_request=_winter(winter.get(account_id), winter_plans.get(account_id), on),
            arrangement=(PaymentArrangement(status=standing.status, last_missed_on=standing.last_missed_on)
                         if standing else facts.arrangement),
            landlord_registered=any(p in landlords for p in premises.get(account_id, ())),
        )
    return result


def _certificate(row: CertificateRow, paid: Decimal, on: date) -> MedicalCertificate:
    """The rules' view of a certificate. Its conditions (10 % paid in the grace period, the rest
    agreed within 120 days) are judged once the grace period is over."""
    certified = row.written_received_on if row.written_received_on and row.written_received_on <= on else None
    in_grace = on <= row.payment_due_on
    met = in_grace or (paid >= row.required_payment and row.remainder_agreed)
    return MedicalCertificate(received_on=row.notified_on, certified_on=certified, expires_on=row.expires_on,
                              conditions_met=met)


def _winter(row: WinterProtection | None, plan: list[tuple[date, Decimal, Decimal]] | None,
            on: date) -> WinterProtectionRequest | None:
    if row is None:
        return None
    documented = row.eligibility_documented_on is not None and row.eligibility_documented_on <= on
    plan_agreed = (row.plan_agreed_on is not None and row.plan_agreed_on <= on) or bool(plan)
    first_due = plan[0][0] if plan else None
    agreed = plan[0][1] if plan else None
    paid = sum((p for _d, _a, p in plan), ZERO) if plan else ZERO
    return WinterProtectionRequest(
        notified_on=row.notified_on,
        annual_seven_percent_of_income=row.annual_income_figure if documented else None,
        liheap_applied=row.heating_assistance_applied,
        weatherization_applied=row.weatherization_applied,
        weatherization_available=not row.weatherization_unavailable,
        plan_agreed=plan_agreed,
        agreed_monthly_payment=agreed,
        arrears_since_application=row.arrears_at_application or ZERO,
        plan_first_due=first_due,
        paid_under_plan=paid,
        prior_winter_balance_unpaid=False,
    )

