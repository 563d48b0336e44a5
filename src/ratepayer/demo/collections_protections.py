"""Demo step ``collections_protections``: the inputs that protect customers from
disconnection, made through the real actions so the protections pages open on living rows:

* every premise gets a National Weather Service zone, by city (a demo assignment among a
  few western-Washington zone codes, one insert — not a survey of the real boundaries);
* heat-alert days of last July for one zone (an imported-looking file through the import
  action), so the heat-alert page and the decision's reasons show them;
* a medical emergency notice, awaiting its written certificate, on a residential account
  that owes; a dispute on another's latest issued bill;
* a winter-protection request (income documented, assistance applied for) on the account
  of the winter plan, when the demo's today is in the winter;
* a registered landlord for a multi-family premise.

Deterministic: accounts are chosen by balance and number.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from ratepayer.billing.models import Bill
from ratepayer.collections.actions import protections
from ratepayer.collections.models.plans import PaymentArrangement
from ratepayer.collections.models.protections import PremiseZone
from ratepayer.collections.queries.protections import premises_of
from ratepayer.customers.models import Account, Premise
from ratepayer.ledger.models import ARBalance

from .plan import DemoBuild

DEMO_ZONES = ("WAZ558", "WAZ507", "WAZ555", "WAZ556")
HOT_ZONE = DEMO_ZONES[0]


def _zone_for(city: str) -> str:
    return DEMO_ZONES[sum(map(ord, city.strip().lower())) % len(DEMO_ZONES)]


def assign_zones(build: DemoBuild) -> None:
    """A weather zone for every premise that has none (the collections run needs them
    from its first day: a premise without a zone cannot be checked for heat alerts)."""
    zones = [PremiseZone(premise_id=pk, zone=_zone_for(city), set_by=build.users["supervisor"])
             for pk, city in Premise.objects.filter(nws_zone__isnull=True).values_list("pk", "city")]
    PremiseZone.objects.bulk_create(zones, batch_size=2000)
    build.counts["premise_zones"] = build.counts.get("premise_zones", 0) + len(zones)


def build_protections(build: DemoBuild) -> None:
    user = build.users["supervisor"]
    today = build.today
    made: dict[str, int] = {}
    assign_zones(build)
    july = date(today.year - 1, 7, 8)
    rows = "".join(f"{HOT_ZONE},{july + timedelta(days=i)},excessive_heat_warning,NWS Seattle (demo)\n"
                   for i in range(3))
    batch = protections.import_heat_alerts(user=user, content=f"zone,date,kind,note\n{rows}".encode(),
                                           file_name=f"heat-alerts-{july.year}-07.csv")
    made["heat_alert_days"] = batch.created

    owing = list(ARBalance.objects.filter(account__status="active", agreement__customer_class="residential",
                                          agreement__status="active")
                 .values("account_id").annotate(owed=Sum("balance")).filter(owed__gte=Decimal("60.00"))
                 .order_by("-owed", "account_id").values_list("account_id", "owed")[:12])
    arranged = set(PaymentArrangement.objects.values_list("account_id", flat=True))
    free = [(a, owed) for a, owed in owing if a not in arranged]
    if free:
        account = Account.objects.get(pk=free[0][0])
        premise = premises_of(account)[0]
        protections.record_medical_notice(user=user, account=account, premise=premise,
                                          notified_on=today - timedelta(days=1), notice="verbal",
                                          delinquent_balance=free[0][1])
        made["medical_certificates"] = 1
    for account_id, _owed in free[1:]:
        bill = Bill.objects.filter(account_id=account_id, status="issued").order_by("-bill_date", "-id").first()
        if bill is None:
            continue
        protections.open_dispute(user=user, account=bill.account, bill=bill, opened_on=today - timedelta(days=2),
                                 reason="Demo: the customer says the read is too high and asks for a re-read")
        made["disputes"] = 1
        break
    winter_plan = PaymentArrangement.objects.filter(kind="winter").order_by("pk").first()
    if winter_plan is not None:
        account = winter_plan.account
        protections.request_winter_protection(
            user=user, account=account, premise=premises_of(account)[0],
            notified_on=winter_plan.start_date, grantee="Demo County Community Action (LIHEAP)",
            annual_income_figure=Decimal("1806.00"), eligibility_documented_on=winter_plan.start_date,
            heating_assistance_applied=True, weatherization_unavailable=True, plan_agreed_on=winter_plan.start_date,
            arrears_at_application=winter_plan.past_due_amount)
        made["winter_protection_requests"] = 1
    rental = (Premise.objects.filter(premise_type="multi_family", service_points__agreements__status="active",
                                     service_points__agreements__service__in=["water", "sewer"])
              .order_by("pk").first())
    if rental is not None:
        protections.register_landlord(user=user, premise=rental, request_received_on=build.conversion_date,
                                      owner_name="Harbor Rentals LLC (demo)", mailing_line1="PO Box 1204",
                                      mailing_city=rental.city, mailing_state="WA", mailing_zip=rental.zip)
        made["registered_landlords"] = 1
    build.counts.update(made)

