"""`ratepayer ledger check`: the invariants of DESIGN §6, recomputed from the
journal lines themselves (never from cached figures alone)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from ratepayer.db.money import cents

from .models import ARBalance, JournalEntry, JournalLine

ZERO = Decimal("0.00")


def _money(total_cents) -> Decimal:
    return (Decimal(total_cents or 0) / 100).quantize(Decimal("0.01"))


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    failures: list[str] = field(default_factory=list)


def _sum(qs, expr) -> Decimal:
    return _money(qs.aggregate(v=Coalesce(Sum(cents(expr)), Value(0)))["v"])


def check_trial_balance() -> CheckResult:
    debits = _sum(JournalLine.objects.all(), "debit")
    credits = _sum(JournalLine.objects.all(), "credit")
    ok = debits == credits
    return CheckResult("trial_balance", ok,
                       f"debits {debits} {'=' if ok else '≠'} credits {credits}"
                       + ("" if ok else f" (out by {debits - credits})"))


def check_entries_balanced(limit: int = 50) -> CheckResult:
    bad = (JournalLine.objects.values("entry_id")
           .annotate(d=Sum(cents("debit")), c=Sum(cents("credit")), n=Count("id"))
           .filter(~Q(d=F("c")) | Q(n__lt=2)).order_by("entry_id"))
    failures = [f"journal entry JE{row['entry_id']}: debits {_money(row['d'])} ≠ credits {_money(row['c'])}"
                if row["d"] != row["c"] else f"journal entry JE{row['entry_id']}: has a single line"
                for row in bad[:limit]]
    empty = JournalEntry.objects.filter(lines__isnull=True).values_list("pk", flat=True)[:limit]
    failures += [f"journal entry JE{pk}: has no lines" for pk in empty]
    return CheckResult("entries_balanced", not failures,
                       "every journal entry balances" if not failures else f"{len(failures)} unbalanced entries",
                       failures)


def check_ar_lines_identified(limit: int = 50) -> CheckResult:
    bad = JournalLine.objects.filter(gl_account__is_receivable_control=True).filter(
        Q(agreement__isnull=True) | Q(account__isnull=True)).values_list("pk", "entry_id")[:limit]
    failures = [f"journal line {pk} (JE{entry}): receivable line without customer account or agreement"
                for pk, entry in bad]
    mismatched = (JournalLine.objects.filter(agreement__isnull=False).exclude(account_id=F("agreement__account_id"))
                  .values_list("pk", "entry_id")[:limit])
    failures += [f"journal line {pk} (JE{entry}): agreement belongs to another account" for pk, entry in mismatched]
    return CheckResult("ar_lines_identified", not failures,
                       "every receivable line names its account and agreement" if not failures else
                       f"{len(failures)} receivable lines are not identified", failures)


def check_subledger_equals_control() -> CheckResult:
    control = _sum(JournalLine.objects.filter(gl_account__is_receivable_control=True), F("debit") - F("credit"))
    cached = _sum(ARBalance.objects.all(), "balance")
    ok = control == cached
    return CheckResult("ar_subledger_equals_control", ok,
                       f"AR subledger {cached} {'=' if ok else '≠'} GL receivable control {control}"
                       + ("" if ok else f" (out by {cached - control})"))


def check_cached_balances(limit: int = 50) -> CheckResult:
    from_lines = {
        row["agreement_id"]: _money(row["total"])
        for row in JournalLine.objects.filter(gl_account__is_receivable_control=True, agreement__isnull=False)
        .values("agreement_id").annotate(total=Sum(cents(F("debit") - F("credit"))))
    }
    cached = {a: _money(c) for a, c in ARBalance.objects.annotate(c=cents("balance")).values_list("agreement_id", "c")}
    failures = []
    for agreement_id in sorted(set(from_lines) | set(cached)):
        lines_total = from_lines.get(agreement_id, ZERO)
        cached_total = cached.get(agreement_id)
        if cached_total is None:
            failures.append(f"agreement {agreement_id}: lines total {lines_total} but no cached balance row")
        elif cached_total != lines_total:
            failures.append(f"agreement {agreement_id}: cached balance {cached_total} ≠ sum of its lines {lines_total}")
    return CheckResult("cached_balances", not failures,
                       f"{len(cached)} cached balances equal the sum of their lines" if not failures else
                       f"{len(failures)} cached balances differ from their lines", failures[:limit])


def check_reversals(limit: int = 50) -> CheckResult:
    failures = []
    reversals = JournalEntry.objects.filter(reverses__isnull=False).values_list("pk", "reverses_id")
    totals = {row["entry_id"]: (row["d"], row["c"]) for row in
              JournalLine.objects.filter(Q(entry__reverses__isnull=False) | Q(entry__reversed_by__isnull=False))
              .values("entry_id").annotate(d=Sum(cents("debit")), c=Sum(cents("credit")))}
    for pk, original in reversals:
        if totals.get(pk) != tuple(reversed(totals.get(original, (None, None)))):
            failures.append(f"JE{pk} reverses JE{original} but their totals differ")
    return CheckResult("reversals_mirror_originals", not failures,
                       "every reversal mirrors its original" if not failures else f"{len(failures)} bad reversals",
                       failures[:limit])


def check_open_items(limit: int = 50) -> CheckResult:
    """Open items read from the accounts' watermarks equal those read from the
    whole history, and each agreement's open items add up to its balance."""
    from .openitems import differences

    failures = differences(limit)
    return CheckResult("open_items", not failures,
                       "open items from the watermarks equal the full history and the balances" if not failures else
                       f"{len(failures)} accounts' open items differ", failures)


def run_all() -> dict:
    results = [check_trial_balance(), check_entries_balanced(), check_ar_lines_identified(),
               check_subledger_equals_control(), check_cached_balances(), check_reversals(), check_open_items()]
    return {"ok": all(r.ok for r in results), "checks": [asdict(r) for r in results]}
