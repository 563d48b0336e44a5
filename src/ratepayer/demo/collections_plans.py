"""Demo step ``collections_plans``: payment arrangements and long-term contracts on the
demo utility, made through the real actions after the history, so the console's
arrangement and contract pages open on living rows:

* an ordinary arrangement on the account owing the most (a residential customer),
  half its balance in four installments after the policy's down payment;
* in winter (Nov 15 – Mar 15), a winter protection plan for an electric space-heat
  customer who owes something, with its 7 %-of-income ceiling (RCW 54.16.285);
* a sewer connection charge contract (RCW 57.08.005(11)): $12,400.00 at 5.25 % over
  180 months on a premise with sewer service, its notice recorded with the county
  auditor (RCW 65.08.170); its installments start on next month's bills;
* a conservation loan (RCW 54.16.280) on an electric premise, 60 months.

Made yesterday (the history's last day), then matched to the ledger's payments as of then.
Deterministic: accounts are chosen by balance and number, never at random.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from ratepayer.collections.actions import arrangements, contracts
from ratepayer.collections.amortization import add_months
from ratepayer.collections.errors import CollectionsError
from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.kernel.money import round_money
from ratepayer.ledger.models import ARBalance

from .plan import DemoBuild


def _in_winter(day: date) -> bool:
    return (day.month, day.day) >= (11, 15) or (day.month, day.day) <= (3, 15)


def _owing(minimum: Decimal, **agreement_filter) -> list[tuple[int, Decimal]]:
    """(account id, balance) of active accounts owing at least ``minimum``, most first."""
    accounts = Account.objects.filter(status="active", agreements__status="active",
                                      **{f"agreements__{k}": v for k, v in agreement_filter.items()}).distinct()
    return list(ARBalance.objects.filter(account__in=accounts).values("account_id").annotate(owed=Sum("balance"))
                .filter(owed__gte=minimum).order_by("-owed", "account_id").values_list("account_id", "owed")[:20])


def build_plans(build: DemoBuild) -> None:
    user = build.users["supervisor"]
    today = build.today - timedelta(days=1)  # the demo's history runs through yesterday; so do these
    made = {"arrangements": 0, "contracts": 0}
    taken: set[int] = set()
    first_due = add_months(today.replace(day=1), 1).replace(day=10)
    for account_id, owed in _owing(Decimal("150.00"), customer_class="residential"):
        account = Account.objects.get(pk=account_id)
        try:
            arrangements.create_arrangement(
                user=user, account=account, past_due_amount=round_money(owed / 2), installments=4,
                first_due=first_due, made_on=today, note="Demo: half the balance over four months")
        except CollectionsError:
            continue
        taken.add(account_id)
        made["arrangements"] += 1
        break
    if _in_winter(today):
        for account_id, owed in _owing(Decimal("100.00"), service="electric", customer_class="residential",
                                       service_point__premise__space_heat_electric=True):
            if account_id in taken:
                continue
            try:
                arrangements.create_arrangement(
                    user=user, account=Account.objects.get(pk=account_id), kind="winter", past_due_amount=owed,
                    monthly_income=Decimal("2150.00"), first_due=first_due, made_on=today,
                    note="Demo: winter protection plan; income documented by the energy assistance agency")
            except CollectionsError:
                continue
            taken.add(account_id)
            made["arrangements"] += 1
            break
    for service, kind, principal, rate, months, lien in (
            ("sewer", "sewer_connection", "12400.00", "5.25", 180, True),
            ("electric", "conservation_loan", "4800.00", "3.00", 60, False)):
        agreement = (ServiceAgreement.objects.filter(status="active", service=service, customer_class="residential",
                                                     account__status="active")
                     .exclude(account_id__in=taken).select_related("account", "service_point__premise")
                     .order_by("account__number").first())
        if agreement is None:
            continue
        contracts.create_contract(
            user=user, account=agreement.account, premise=agreement.service_point.premise, kind=kind,
            principal=principal, annual_rate=rate, term_months=months, start_date=first_due, made_on=today,
            lien_reference=f"{today:%Y%m%d}0{made['contracts'] + 41:03d}" if lien else "",
            lien_recorded_on=today if lien else None,
            note="Demo: connection to the district's sewer, financed over 15 years" if lien else
            "Demo: heat pump and insulation, repaid on the electric bill")
        taken.add(agreement.account_id)
        made["contracts"] += 1
    arrangements.record_payments(on=today)
    build.counts["payment arrangements"] = made["arrangements"]
    build.counts["long-term contracts"] = made["contracts"]
