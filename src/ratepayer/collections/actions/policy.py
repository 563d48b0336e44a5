"""Changing the collection policy: a supervisor proposes a new row from a
future date, a second person approves it (maker-checker, staff.approvals),
and only then is it in force. Rows are never edited: what was charged under an
older row keeps it (``LateFee.policy``). Every value is checked against its
range and the statutory ceilings (``collections.statutes``); a refusal names
the field and, for a ceiling, the statute."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ratepayer.staff import approvals, audit, permissions
from ratepayer.staff.audit import AuditAction

from .. import statutes
from ..errors import PolicyError
from ..models.core import UTILITY_TYPES, CollectionPolicy

POLICY_KIND = "collections.policy"
POLICY_CAPABILITY = "approval_limit.edit"  # supervisors set policies, as for billing's and metering's

MONEY_FIELDS = ("late_fee_flat", "late_fee_minimum_balance", "disconnect_minimum_balance", "reconnect_fee",
                "agency_referral_threshold", "write_off_threshold")
PERCENT_FIELDS = ("late_fee_percent", "arrangement_down_payment_percent", "lien_interest_percent",
                  "prime_rate_percent")
# field: (low, high, words)
DAY_FIELDS: dict[str, tuple[int, int, str]] = {
    "late_fee_grace_days": (0, 60, "Late fee grace: 0 to 60 days after the due date"),
    "past_due_notice_day": (1, 90, "Past-due notice: 1 to 90 days after the due date"),
    "final_notice_day": (2, 180, "Final notice: 2 to 180 days after the due date"),
    "final_notice_wait_days": (1, 60, "Final notice: disconnection from 1 to 60 days after it is served"),
    "final_notice_valid_days": (1, 60, "Final notice window: 1 to 60 days"),
    "disconnect_hour_from": (0, 23, "Disconnect hours from: 0 to 23"),
    "disconnect_hour_to": (1, 24, "Disconnect hours to: 1 to 24"),
    "arrangement_max_installments": (1, 36, "Arrangement installments: 1 to 36"),
    "contract_max_months": (1, 600, "Longest contract: 1 to 600 months"),
    "conservation_loan_max_months": (1, 600, "Longest conservation loan: 1 to 600 months"),
    "agency_referral_days": (30, 730, "Agency referral: 30 to 730 days past due"),
}
FIELDS = ("late_fee_kind", *MONEY_FIELDS, *PERCENT_FIELDS, *DAY_FIELDS, "disconnect_weekdays")


def policy_values(policy: CollectionPolicy | None) -> dict:
    if policy is None:
        return {}
    return {name: str(getattr(policy, name)) if isinstance(getattr(policy, name), Decimal) else getattr(policy, name)
            for name in ("utility_type", "service", "customer_class", *FIELDS)}


def clean_policy(values: dict) -> dict:
    """The values checked and typed (Decimal, int), or PolicyError naming the field."""
    out: dict = {}
    utility_type = values.get("utility_type", "")
    if utility_type not in dict(UTILITY_TYPES):
        raise PolicyError("Utility type: choose a public utility district or a water-sewer district.",
                          field="utility_type")
    out["utility_type"] = utility_type
    out["service"] = values.get("service", "") or ""
    out["customer_class"] = values.get("customer_class", "") or ""
    if out["service"] and out["service"] not in dict(CollectionPolicy._meta.get_field("service").choices):
        raise PolicyError(f"Service: {out['service']!r} is not a service.", field="service")
    if out["customer_class"] and out["customer_class"] not in dict(
            CollectionPolicy._meta.get_field("customer_class").choices):
        raise PolicyError(f"Customer class: {out['customer_class']!r} is not a class.", field="customer_class")
    kind = values.get("late_fee_kind", "flat")
    if kind not in CollectionPolicy.LateFeeKind.values:
        raise PolicyError("Late fee kind: percent, flat, or the greater of the two.", field="late_fee_kind")
    out["late_fee_kind"] = kind
    for name in (*MONEY_FIELDS, *PERCENT_FIELDS):
        raw = values.get(name, CollectionPolicy._meta.get_field(name).default)
        try:
            amount = Decimal(str(raw).strip().lstrip("$").replace(",", ""))
        except (InvalidOperation, ValueError):
            raise PolicyError(f"{_label(name)}: enter a number, e.g. 5.00.", field=name) from None
        if not amount.is_finite() or amount < 0 or amount.quantize(Decimal("0.01")) != amount:
            raise PolicyError(f"{_label(name)}: {raw} is not an amount of 0 or more in cents.", field=name)
        if name in PERCENT_FIELDS and amount > 100:
            raise PolicyError(f"{_label(name)}: a percent is at most 100.", field=name)
        out[name] = amount
    for name, (low, high, words) in DAY_FIELDS.items():
        raw = values.get(name, CollectionPolicy._meta.get_field(name).default)
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise PolicyError(f"{words}; {raw!r} is not a whole number.", field=name) from None
        if not low <= number <= high:
            raise PolicyError(f"{words}; {number} is outside.", field=name)
        out[name] = number
    if out["final_notice_day"] <= out["past_due_notice_day"]:
        raise PolicyError("Final notice day: it comes after the past-due notice day.", field="final_notice_day")
    if out["disconnect_hour_to"] <= out["disconnect_hour_from"]:
        raise PolicyError("Disconnect hours: the end comes after the start.", field="disconnect_hour_to")
    weekdays = "".join(sorted(set(str(values.get("disconnect_weekdays", "0123")))))
    if not weekdays or any(d not in "0123456" for d in weekdays):
        raise PolicyError("Disconnect weekdays: days as digits, 0 = Monday … 6 = Sunday (e.g. 0123 for Mon–Thu).",
                          field="disconnect_weekdays")
    out["disconnect_weekdays"] = weekdays
    problems = statutes.check_policy(out)
    if problems:
        raise PolicyError(" ".join(words for _, words in problems), field=problems[0][0])
    return out


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def request_policy_change(*, user, effective_from: date, values: dict, reason: str,
                          today: date | None = None):
    """Propose a policy row from ``effective_from`` (tomorrow at the earliest);
    a second person approves it. Returns the approval request."""
    permissions.require(user, POLICY_CAPABILITY, "change the collection policy")
    today = today or timezone.localdate()
    if effective_from <= today:
        raise PolicyError(f"Effective from: a new policy starts tomorrow ({today + timedelta(days=1)}) at the "
                          "earliest; fees already charged keep the policy they were charged under.",
                          field="effective_from")
    if not reason.strip():
        raise PolicyError("Reason: say why the policy changes (e.g. the board's resolution).", field="reason")
    clean = clean_policy(values)
    scope = (clean["utility_type"], clean["service"], clean["customer_class"])
    if CollectionPolicy.objects.filter(utility_type=scope[0], service=scope[1], customer_class=scope[2],
                                       effective_from=effective_from).exists():
        raise PolicyError(f"Effective from: a policy for this scope already starts on {effective_from}; policies "
                          "are never edited, choose another date.", field="effective_from")
    payload = {"effective_from": effective_from.isoformat(), "reason": reason.strip()[:200],
               **{k: str(v) if isinstance(v, Decimal) else v for k, v in clean.items()}}
    summary = (f"Collection policy for {dict(UTILITY_TYPES)[scope[0]]}, {scope[1] or 'any service'}, "
               f"{scope[2] or 'any class'} from {effective_from}: {reason.strip()[:120]}")
    with transaction.atomic():
        request = approvals.request_approval(maker=user, kind=POLICY_KIND, summary=summary[:300], payload=payload)
        audit.record(AuditAction.COLLECTION_POLICY_REQUESTED, obj=request, user_id=user.pk, summary=summary[:300],
                     after=payload)
    return request


def _on_approved(request, approver) -> None:
    payload = dict(request.payload)
    effective_from = date.fromisoformat(payload.pop("effective_from"))
    reason = payload.pop("reason", "")
    if effective_from <= timezone.localdate():
        raise PolicyError(f"This policy was to start on {effective_from}, which has begun; fees may already have "
                          "been charged under the policy in force. Reject it and propose a later date.")
    clean = clean_policy(payload)
    before = (CollectionPolicy.objects.filter(utility_type=clean["utility_type"], service=clean["service"],
                                              customer_class=clean["customer_class"],
                                              effective_from__lt=effective_from).order_by("-effective_from").first())
    policy = CollectionPolicy.objects.create(effective_from=effective_from, reason=reason, proposed_by=request.maker,
                                             approved_by=approver, approval=request, **clean)
    audit.record(AuditAction.COLLECTION_POLICY_APPROVED, obj=policy, user_id=approver.pk,
                 summary=f"collection policy in force from {effective_from}", before=policy_values(before),
                 after=policy_values(policy))


def _on_rejected(request, decider) -> None:
    audit.record(AuditAction.COLLECTION_POLICY_REJECTED, obj=request, user_id=decider.pk,
                 summary=f"Rejected: {request.summary}"[:300])


def register_approval_handlers() -> None:
    approvals.register(POLICY_KIND, _on_approved, _on_rejected)
    approvals.register_refusals(PolicyError)
