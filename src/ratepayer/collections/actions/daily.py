"""The daily collections job: ``ratepayer collections run --date YYYY-MM-DD``.

For every account that owes something (or has a disconnect to undo), on the
run's date, in this order (after the payment arrangements are brought up to date —
``arrangements.record_payments``: payments matched, kept ones closed, missed ones
broken — so a broken arrangement no longer protects in the day's decisions):

1. **Late fees** — one per past-due bill and service, the day after the
   policy's grace days (and within 30 days of it, so a first run never charges
   years of fees): posted Dr 142 / Cr the posting rule of ``late_fee`` (450,
   or 470 for water and sewer) through ``ledger.actions.post_entries``, and a
   ``LateFee`` row naming the policy row it was charged under.
2. **Past-due notice** — from the policy's notice day after the oldest unpaid
   due date, when at least the late-fee minimum is past due.
3. **Final (disconnect) notice** — from the final-notice day, after a past-due
   notice and when the past-due balance reaches the disconnect minimum; it
   allows disconnection from ``wait`` days after it is served for ``valid``
   days (its window).
4. **Disconnect decision** — for accounts whose final notice's window is open
   today: the facts (balance, delinquency, notice, policy; the protections
   part adds heat alerts, medical certificates, disputes, winter protection,
   arrangements) go to ``disconnect_rules.decide_disconnect``; the verdict is
   recorded with its facts, and an allowed one orders the disconnection of
   the account's electric and water service points.
5. **Reconnect** — an account disconnected for nonpayment whose past-due
   balance is under the disconnect minimum (paid, or on an arrangement) gets
   its reconnect orders at once and the policy's reconnect fee (Dr 142 / Cr
   451 ``service_fee``); a disconnect order not yet worked is cancelled.
6. **Agency referral** (RCW 19.16.500) — past due longer than the policy's
   days and over its threshold: first an agency-warning notice; 30 days after
   it, an ``AgencyReferral`` candidate (helper "writeoff" builds the file).

Idempotent: every record is unique per account and delinquency (or date), and
an existing one is skipped, so the same date twice changes nothing.
Set-based like the bill run: accounts in chunks of ``CHUNK``, a fixed number
of queries per chunk whatever is found. Notices are records only; their
documents are rendered afterwards by workers (``collections.documents``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.bulk import gc_paused
from ratepayer.ledger import openitems
from ratepayer.ledger.actions import EntrySpec, Line, PostingRules, post_entries
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import audit
from ratepayer.staff.audit import AuditAction

from .. import queries, statutes
from ..disconnect_facts import facts_to_mapping
from ..disconnect_rules import DisconnectFacts, FinalNotice, PaymentArrangement, decide_disconnect
from ..models.core import (
    AgencyReferral,
    CollectionPolicy,
    DisconnectDecisionRecord,
    LateFee,
    Notice,
    ServiceOrder,
    ServiceOrderEvent,
)
from ..models.protections import HeatAlert, PremiseZone
from . import arrangements

ZERO = Decimal("0.00")
CHUNK = 2000
LATE_FEE_CATCH_UP_DAYS = 30
DISCONNECTABLE = ("electric", "water")  # sewer and stormwater cannot be shut off at the meter
HISTORY_DAYS = 400  # how far back a chunk reads its accounts' notices and orders


@dataclass
class RunResult:
    date: str
    accounts: int = 0
    chunks: int = 0
    late_fees: int = 0
    late_fee_total: str = "0.00"
    past_due_notices: int = 0
    final_notices: int = 0
    decisions: int = 0
    disconnects_allowed: int = 0
    disconnect_orders: int = 0
    reconnect_orders: int = 0
    cancelled_orders: int = 0
    agency_warnings: int = 0
    referrals: int = 0
    arrangements: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Account:
    """What a chunk knows about one account (built from a few batch reads)."""

    id: int
    status: str
    language: str
    residential: bool = False
    space_heating: bool = False
    agreements: list[dict] = field(default_factory=list)
    charges: list[queries.OpenCharge] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    arrangement: queries.ArrangementStanding | None = None
    nws_zone: str | None = None
    heat_alert_days: frozenset = frozenset()


def candidate_account_ids(on: date) -> list[int]:
    """Accounts the job looks at: a positive receivable balance, or a
    disconnect order that may need undoing (one query)."""
    owing = set(ARBalance.objects.filter(balance__gt=0).values_list("account_id", flat=True).distinct())
    disconnected = set(ServiceOrder.objects.filter(
        Q(kind="disconnect", status__in=ServiceOrder.OPEN) | Q(kind="disconnect", status="completed", field_result="done",
                                                              completed_on__gte=on - timedelta(days=HISTORY_DAYS)))
        .values_list("account_id", flat=True))
    return sorted(owing | disconnected)


def run(on: date, *, user=None, account_ids: list[int] | None = None, chunk_size: int = CHUNK) -> RunResult:
    """Run the day's collections for ``on`` (see the module docstring)."""
    result = RunResult(date=on.isoformat())
    # arrangements first: one broken today no longer protects in today's decisions
    result.arrangements = arrangements.record_payments(on=on, account_ids=account_ids)
    ids = candidate_account_ids(on) if account_ids is None else sorted(set(account_ids))
    policies = queries.PolicyTable(on)
    rules = PostingRules()
    fee_total = ZERO
    for start in range(0, len(ids), chunk_size):
        fee_total += run_chunk(ids[start:start + chunk_size], on, policies=policies, rules=rules, result=result,
                               user=user)
        result.chunks += 1
    result.accounts = len(ids)
    result.late_fee_total = str(fee_total)
    audit.record(AuditAction.COLLECTIONS_RUN, object_type="collections.run", object_id=on.isoformat(),
                 user_id=getattr(user, "pk", None), summary=f"collections run for {on}", after=result.as_dict())
    return result


def _load(ids: list[int], on: date) -> dict[int, _Account]:
    """Nine queries: accounts, agreements, open charges, notices, orders,
    payment arrangements (two), premise zones and heat alerts."""
    accounts = {pk: _Account(pk, status, language) for pk, status, language in
                Account.objects.filter(pk__among=ids).values_list("pk", "status", "customer__language")}
    for row in (ServiceAgreement.objects.filter(account_id__among=ids, status="active")
                .values("pk", "account_id", "service", "customer_class", "service_point_id",
                        "service_point__premise_id", "service_point__premise__space_heat_electric")):
        acct = accounts[row["account_id"]]
        acct.agreements.append(row)
        acct.residential |= row["customer_class"] == "residential"
        acct.space_heating |= bool(row["service_point__premise__space_heat_electric"])
    for account_id, charges in queries.open_charges(ids, on).items():
        accounts[account_id].charges = charges
    since = on - timedelta(days=HISTORY_DAYS)
    for row in (Notice.objects.filter(account_id__among=ids, served_on__gte=since)
                .values("pk", "account_id", "kind", "delinquency_due_on", "served_on", "valid_from", "valid_until",
                        "landlord_copy")):
        accounts[row["account_id"]].notices.append(row)
    for row in (ServiceOrder.objects.filter(account_id__among=ids)
                .filter(Q(status__in=ServiceOrder.OPEN) | Q(requested_on__gte=since))
                .values("pk", "account_id", "kind", "status", "service_point_id", "agreement_id", "requested_on",
                        "completed_on", "field_result").order_by("requested_on", "pk")):
        accounts[row["account_id"]].orders.append(row)
    for account_id, standing in queries.active_arrangements(ids, on).items():
        accounts[account_id].arrangement = standing
    # the premises' weather zones and the day's heat alerts (the protections part's records; two queries)
    premise_of = {acct.id: sorted(a["service_point__premise_id"] for a in acct.agreements
                                  if a["service"] in DISCONNECTABLE) for acct in accounts.values()}
    zones = dict(PremiseZone.objects.filter(premise_id__among=sorted({p for ps in premise_of.values() for p in ps}))
                 .values_list("premise_id", "zone"))
    alerts: dict[str, set] = defaultdict(set)
    for zone, day in HeatAlert.objects.filter(zone__in=sorted(set(zones.values())), day=on,
                                              status=HeatAlert.Status.ACTIVE).values_list("zone", "day"):
        alerts[zone].add(day)
    for acct in accounts.values():
        zone = next((zones[p] for p in premise_of[acct.id] if p in zones), None)
        acct.nws_zone = zone
        acct.heat_alert_days = frozenset(alerts.get(zone, ())) if zone else frozenset()
    return accounts


def _policy(acct: _Account, policies: queries.PolicyTable, charge: queries.OpenCharge | None = None
            ) -> CollectionPolicy | None:
    if charge is not None:
        return policies.for_service(charge.service, charge.customer_class)
    if acct.agreements:
        first = sorted(acct.agreements, key=lambda a: (a["service"] not in DISCONNECTABLE, a["pk"]))[0]
        return policies.for_service(first["service"], first["customer_class"])
    return policies.for_service("", "")


def _disconnected_points(acct: _Account) -> dict[int, dict]:
    """Service points whose latest completed order is a disconnect (done) and
    that have no open reconnect order: still off for nonpayment."""
    latest: dict[int, dict] = {}
    for order in acct.orders:
        if order["status"] == "completed" and order["field_result"] == "done":
            latest[order["service_point_id"]] = order
    open_reconnects = {o["service_point_id"] for o in acct.orders
                       if o["kind"] == "reconnect" and o["status"] in ServiceOrder.OPEN}
    return {point: order for point, order in latest.items()
            if order["kind"] == "disconnect" and point not in open_reconnects}


def build_facts(acct: _Account, on: date, policy: CollectionPolicy, past_due: Decimal, oldest_due: date | None,
                final: dict | None) -> DisconnectFacts:
    """Facts from the chunk's reads: balance, delinquency, final notice,
    policy, arrangement, premise zone and heat alerts. The protections part
    adds winter protection, medical certificates, disputes and landlords
    through ``register_facts_builder``."""
    services = frozenset(a["service"] for a in acct.agreements if a["service"] in ("electric", "water", "sewer"))
    return DisconnectFacts(
        utility_type=policy.utility_type,
        services=services or frozenset({"electric"}),
        residential=acct.residential,
        space_heating=acct.space_heating,
        nws_zone=acct.nws_zone,
        heat_alert_days=acct.heat_alert_days,
        past_due_balance=past_due,
        minimum_balance_for_disconnect=policy.disconnect_minimum_balance,
        oldest_unpaid_due_date=oldest_due,
        final_notice=FinalNotice(served_on=final["served_on"], valid_from=final["valid_from"],
                                 expires_on=final["valid_until"]) if final else None,
        landlord_copy_sent=bool(final and final["landlord_copy"]),
        arrangement=PaymentArrangement(status=acct.arrangement.status, last_missed_on=acct.arrangement.last_missed_on)
        if acct.arrangement else None,
        disconnect_weekdays=frozenset(int(d) for d in policy.disconnect_weekdays),
        disconnect_hours=(time(policy.disconnect_hour_from), time(policy.disconnect_hour_to)),
    )


FACTS_BUILDERS: list = []


def register_facts_builder(fn) -> None:
    """The protections part adds the inputs it owns: ``fn(account_ids, on,
    facts_by_account) -> facts_by_account`` (set-based, a fixed number of
    queries for the whole chunk)."""
    if fn not in FACTS_BUILDERS:
        FACTS_BUILDERS.append(fn)


@gc_paused()
def run_chunk(ids: list[int], on: date, *, policies: queries.PolicyTable, rules: PostingRules, result: RunResult,
              user=None) -> Decimal:
    """One chunk of accounts in one transaction, a fixed number of queries."""
    fee_total = ZERO
    user_id = getattr(user, "pk", None)
    with transaction.atomic():
        accounts = _load(ids, on)
        fee_specs: list[EntrySpec] = []
        fee_rows: list[dict] = []
        new_notices: list[Notice] = []
        final_for: dict[int, dict] = {}
        reconnect_points: list[tuple[_Account, dict, CollectionPolicy]] = []
        cancel_ids: list[tuple[int, str]] = []
        decide: list[tuple[_Account, DisconnectFacts, CollectionPolicy]] = []
        referrals: list[AgencyReferral] = []
        for acct in accounts.values():
            past = [c for c in acct.charges if c.due_on < on]
            past_due = sum((c.amount for c in past), ZERO)
            billed = [c for c in past if c.billed]
            oldest_due = min((c.due_on for c in billed), default=None) or min((c.due_on for c in past), default=None)
            have = {(n["kind"], n["delinquency_due_on"]) for n in acct.notices}
            # 1. late fees: one per past-due bill and service
            for charge in billed:
                policy = _policy(acct, policies, charge)
                if policy is None:
                    continue
                first_day = charge.due_on + timedelta(days=policy.late_fee_grace_days + 1)
                if not first_day <= on <= first_day + timedelta(days=LATE_FEE_CATCH_UP_DAYS):
                    continue
                amount = policy.late_fee_for(charge.amount)
                if amount <= 0:
                    continue
                if policy.utility_type == "water_sewer":
                    amount = min(amount, (charge.amount * statutes.WATER_SEWER_PENALTY_PERCENT / 100)
                                 .quantize(Decimal("0.01")))
                debit, credit = rules.accounts("late_fee", charge.service, charge.customer_class)
                memo = f"Late fee on charges due {charge.due_on:%m/%d/%Y}"
                fee_specs.append(EntrySpec(
                    event="late_fee", effective_date=on, description=memo,
                    lines=[Line(debit, debit=amount, account_id=acct.id, agreement_id=charge.agreement_id, memo=memo),
                           Line(credit, credit=amount, memo=memo)],
                    source_type="collections.latefee",
                    idempotency_key=f"late_fee:{charge.agreement_id}:{charge.due_on.isoformat()}"))
                fee_rows.append({"account_id": acct.id, "agreement_id": charge.agreement_id,
                                 "charge_due_on": charge.due_on, "assessed_on": on, "past_due": charge.amount,
                                 "amount": amount, "policy_id": policy.pk})
            policy = _policy(acct, policies, billed[0] if billed else None)
            if policy is None:
                continue
            # 5. reconnect: paid (or under the minimum) and still off
            off = _disconnected_points(acct)
            kept = acct.arrangement is not None and acct.arrangement.status == "kept"
            if past_due < policy.disconnect_minimum_balance or kept:
                for order in acct.orders:
                    if order["kind"] == "disconnect" and order["status"] in ServiceOrder.OPEN:
                        cancel_ids.append((order["pk"], order["status"]))
                for _point, order in off.items():
                    reconnect_points.append((acct, order, policy))
            if oldest_due is None or past_due <= 0:
                continue
            days_late = (on - oldest_due).days
            # 2. past-due notice
            if (days_late >= policy.past_due_notice_day and past_due >= policy.late_fee_minimum_balance
                    and ("past_due", oldest_due) not in have):
                new_notices.append(Notice(account_id=acct.id, kind="past_due", delinquency_due_on=oldest_due,
                                          amount_past_due=past_due, amount_total=_total(acct), served_on=on,
                                          pay_by=on + timedelta(days=policy.final_notice_day - policy.past_due_notice_day),
                                          language=acct.language))
                have.add(("past_due", oldest_due))
            # 3. final (disconnect) notice, after a past-due notice served on an earlier day
            earlier_past_due = any(n["kind"] == "past_due" and n["delinquency_due_on"] == oldest_due
                                   and n["served_on"] < on for n in acct.notices)
            if (days_late >= policy.final_notice_day and earlier_past_due and ("final", oldest_due) not in have
                    and past_due >= policy.disconnect_minimum_balance and not off
                    and any(a["service"] in DISCONNECTABLE for a in acct.agreements)):
                valid_from = on + timedelta(days=policy.final_notice_wait_days)
                new_notices.append(Notice(account_id=acct.id, kind="final", delinquency_due_on=oldest_due,
                                          amount_past_due=past_due, amount_total=_total(acct), served_on=on,
                                          pay_by=valid_from - timedelta(days=1), valid_from=valid_from,
                                          valid_until=valid_from + timedelta(days=policy.final_notice_valid_days - 1),
                                          language=acct.language))
            # 4. disconnect decision: a final notice whose window is open today
            finals = [n for n in acct.notices if n["kind"] == "final" and n["valid_from"]
                      and n["valid_from"] <= on <= n["valid_until"]]
            open_disconnect = any(o["kind"] == "disconnect" and o["status"] in ServiceOrder.OPEN for o in acct.orders)
            if finals and not open_disconnect and not off and past_due > 0:
                final = max(finals, key=lambda n: n["served_on"])
                final_for[acct.id] = final
                decide.append((acct, build_facts(acct, on, policy, past_due, oldest_due, final), policy))
            # 6. agency referral: warn, then (30 days on) a candidate
            if (days_late >= policy.agency_referral_days and past_due >= policy.agency_referral_threshold
                    and past_due > policy.write_off_threshold):
                warning = next((n for n in acct.notices if n["kind"] == "agency_warning"
                                and n["delinquency_due_on"] == oldest_due), None)
                if warning is None and ("agency_warning", oldest_due) not in have:
                    new_notices.append(Notice(account_id=acct.id, kind="agency_warning",
                                              delinquency_due_on=oldest_due, amount_past_due=past_due,
                                              amount_total=_total(acct), served_on=on,
                                              pay_by=on + timedelta(days=statutes.AGENCY_NOTICE_DAYS),
                                              language=acct.language))
                elif warning is not None and (on - warning["served_on"]).days >= statutes.AGENCY_NOTICE_DAYS:
                    referrals.append(AgencyReferral(account_id=acct.id, balance=past_due,
                                                    delinquency_due_on=oldest_due, warning_id=warning["pk"],
                                                    found_on=on))

        # the chunk's reads of existing records: late fees, decisions, referrals (three queries)
        fee_keys = {(a, d) for a, d in LateFee.objects.filter(account_id__among=ids, assessed_on__gte=on - timedelta(
            days=LATE_FEE_CATCH_UP_DAYS + 120)).values_list("agreement_id", "charge_due_on")}
        decided = set(DisconnectDecisionRecord.objects.filter(account_id__among=ids, decided_on=on)
                      .values_list("account_id", flat=True))
        referred = {(a, d) for a, d in AgencyReferral.objects.filter(account_id__among=ids)
                    .values_list("account_id", "delinquency_due_on")}

        # 1. post the late fees and their rows
        keep = [i for i, row in enumerate(fee_rows) if (row["agreement_id"], row["charge_due_on"]) not in fee_keys]
        fee_specs = [fee_specs[i] for i in keep]
        fee_rows = [fee_rows[i] for i in keep]
        entry_ids = post_entries(fee_specs, created_by=user, ids_only=True) if fee_specs else []
        if fee_rows:
            LateFee.objects.bulk_create([LateFee(journal_entry_id=entry_id, **row)
                                         for row, entry_id in zip(fee_rows, entry_ids, strict=True)])
        fee_total += sum((row["amount"] for row in fee_rows), ZERO)
        result.late_fees += len(fee_rows)

        # 2.–3., 6. notices
        if new_notices:
            Notice.objects.bulk_create(new_notices)
        result.past_due_notices += sum(1 for n in new_notices if n.kind == "past_due")
        result.final_notices += sum(1 for n in new_notices if n.kind == "final")
        result.agency_warnings += sum(1 for n in new_notices if n.kind == "agency_warning")
        referrals = [r for r in referrals if (r.account_id, r.delinquency_due_on) not in referred]
        if referrals:
            AgencyReferral.objects.bulk_create(referrals)
        result.referrals += len(referrals)

        # 4. decisions and disconnect orders
        facts_by_account = {acct.id: facts for acct, facts, _ in decide if acct.id not in decided}
        for builder in FACTS_BUILDERS:
            facts_by_account = builder(sorted(facts_by_account), on, facts_by_account)
        records: list[DisconnectDecisionRecord] = []
        orders: list[ServiceOrder] = []
        for acct, _, _policy_row in decide:
            if acct.id not in facts_by_account:
                continue
            facts = facts_by_account[acct.id]
            decision = decide_disconnect(facts, on)
            records.append(DisconnectDecisionRecord(account_id=acct.id, decided_on=on,
                                                    allowed=decision.disconnect_allowed,
                                                    deciding_rule=decision.deciding_rule,
                                                    decision=decision.as_dict(), facts=facts_to_mapping(facts)))
            if decision.disconnect_allowed:
                result.disconnects_allowed += 1
                for agreement in acct.agreements:
                    if agreement["service"] in DISCONNECTABLE:
                        orders.append(ServiceOrder(kind="disconnect", account_id=acct.id, agreement_id=agreement["pk"],
                                                   service_point_id=agreement["service_point_id"], requested_on=on,
                                                   scheduled_for=on, notice_id=final_for[acct.id]["pk"],
                                                   reason=f"final notice served {final_for[acct.id]['served_on']}; "
                                                          f"{decision.deciding_rule}", created_by_id=user_id))
        if records:
            DisconnectDecisionRecord.objects.bulk_create(records)
        result.decisions += len(records)

        # 5. reconnects: the fee posted, the order created, at once
        reconnect_specs: list[EntrySpec] = []
        reconnect_orders: list[ServiceOrder] = []
        for acct, order, policy in reconnect_points:
            agreement = next((a for a in acct.agreements if a["pk"] == order["agreement_id"]), None)
            reconnect_orders.append(ServiceOrder(
                kind="reconnect", account_id=acct.id, agreement_id=order["agreement_id"],
                service_point_id=order["service_point_id"], requested_on=on, scheduled_for=on,
                reason=(f"payment arrangement #{acct.arrangement.arrangement_id} kept"
                        if acct.arrangement is not None and acct.arrangement.status == "kept" else
                        "past-due balance under the disconnect minimum") + f" (disconnect order #{order['pk']})",
                created_by_id=user_id))
            if policy.reconnect_fee > 0 and agreement is not None:
                debit, credit = rules.accounts("service_fee", agreement["service"], agreement["customer_class"])
                memo = f"Reconnect fee ({agreement['service']})"
                reconnect_specs.append(EntrySpec(
                    event="service_fee", effective_date=on, description=memo,
                    lines=[Line(debit, debit=policy.reconnect_fee, account_id=acct.id, agreement_id=agreement["pk"],
                                memo=memo), Line(credit, credit=policy.reconnect_fee, memo=memo)],
                    source_type="collections.serviceorder", source_id=order["pk"],
                    idempotency_key=f"reconnect_fee:{order['pk']}"))
        fee_ids = post_entries(reconnect_specs, created_by=user, ids_only=True) if reconnect_specs else []
        fee_by_source = {spec.source_id: entry_id for spec, entry_id in zip(reconnect_specs, fee_ids, strict=True)}
        for new_order, (_acct, order, _policy_row) in zip(reconnect_orders, reconnect_points, strict=True):
            new_order.fee_entry_id = fee_by_source.get(order["pk"])
        orders += reconnect_orders
        if orders:
            created = ServiceOrder.objects.bulk_create(orders)
            ServiceOrderEvent.objects.bulk_create([ServiceOrderEvent(order=o, to_status=o.status, on=on,
                                                                     note=o.reason[:300], by_id=user_id)
                                                   for o in created])
        result.disconnect_orders += sum(1 for o in orders if o.kind == "disconnect")
        result.reconnect_orders += sum(1 for o in orders if o.kind == "reconnect")
        if cancel_ids:
            # the batch form of staff.transitions.change_status: one conditional UPDATE, one event row each
            cancelled = ServiceOrder.objects.filter(pk__in=[pk for pk, _ in cancel_ids],
                                                    status__in=ServiceOrder.OPEN).update(status="cancelled")
            ServiceOrderEvent.objects.bulk_create([
                ServiceOrderEvent(order_id=pk, from_status=status, to_status="cancelled", on=on,
                                  note="past-due balance paid below the disconnect minimum", by_id=user_id)
                for pk, status in cancel_ids])
            result.cancelled_orders += cancelled

        # the accounts' receivable watermarks move up to their oldest open charge
        openitems.advance_watermarks(ids)
    return fee_total


def _total(acct: _Account) -> Decimal:
    return sum((c.amount for c in acct.charges), ZERO)

