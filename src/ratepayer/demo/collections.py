"""The demo's living collections worklist (a step after the history).

The history leaves some customers behind (the "late", "partial" and "never"
payers of ``demo.payments``). This step:

1. records a National Weather Service zone for every premise that has none
   (``collections_protections.assign_zones``) and one heat advisory in WAZ558
   this past summer, so the heat-alert rule has its input;
2. runs ``collections run`` at the end of each of the last ``DAYS`` days of the
   history (a history day hook), so late fees, past-due and final notices,
   disconnect decisions with their reasons, disconnect orders, agency warnings
   and referral candidates fall between the bills and payments of those days;
3. works the field orders older than two days as a crew would: two accounts
   in three disconnected (one meter in seven locked: no access), the rest
   still waiting for the crew;
4. two disconnected customers brought a medical certificate yesterday: their
   reconnection was ordered at once (fee waived). Today's run is the clerk's
   (the worklist's button).

So the worklist opens with accounts at every stage: past due, notified, final
notice, disconnect ordered, disconnected, reconnect ordered and agency
candidate.
"""

from __future__ import annotations

from datetime import date, timedelta

from ratepayer.collections.actions import daily, orders
from ratepayer.collections.models import HeatAlert, ServiceOrder

from . import collections_protections
from .history import add_day_hook

DAYS = 45
ZONE = "WAZ558"


def _zones(build) -> None:
    supervisor = build.users["supervisor"]
    collections_protections.assign_zones(build)
    summer = date(build.today.year - (1 if build.today.month < 8 else 0), 7, 29)
    if not HeatAlert.objects.filter(zone=ZONE, day=summer).exists():
        HeatAlert.objects.create(zone=ZONE, day=summer, kind="heat_advisory", source="entered",
                                 note="NWS Seattle heat advisory (demo)", entered_by=supervisor)


def collections_day(build, day: date) -> None:
    """A history day's hook: the collections run at the end of each of the last ``DAYS``
    days, so late fees and notices fall between the bills as they would (the next bill
    states the late fee in its previous balance)."""
    if not build.months or day < build.today - timedelta(days=DAYS):
        return
    if not build.extra.get("collections_zones"):
        _zones(build)
        build.extra["collections_zones"] = True
    daily.run(day)


def living_worklist(build) -> None:
    if not build.months:
        return
    today = build.today
    crew = build.users["specialist"]
    open_orders = list(ServiceOrder.objects.filter(kind="disconnect", status__in=ServiceOrder.OPEN,
                                                   requested_on__lt=today - timedelta(days=2)).order_by("pk"))
    by_account: dict[int, list[ServiceOrder]] = {}
    for order in open_orders:
        by_account.setdefault(order.account_id, []).append(order)
    # the crew has not reached every third account yet; at one in seven the meter was locked
    worked = [o for i, account_orders in enumerate(by_account.values()) if i % 3 != 2 for o in account_orders]
    for i, order in enumerate(worked):
        result = "no_access" if i % 7 == 3 else "done"
        orders.complete_order(user=crew, order=order, result=result, on=order.requested_on + timedelta(days=1),
                              notes="meter locked in the back yard" if result == "no_access" else "")
    # two disconnected customers bring a medical certificate yesterday: service is restored at once, no fee
    clerk = build.users["specialist"]
    for order in list(ServiceOrder.objects.filter(kind="disconnect", status="completed", field_result="done",
                                                  service_point__service="electric").order_by("pk")[:2]):
        orders.order_reconnect(user=clerk, disconnect=order, on=today - timedelta(days=1), charge_fee=False,
                               reason="medical certificate received (WAC 480-100-128): restore service")
    build.counts.update({"collections_days_run": DAYS, "disconnect_orders_worked": len(worked)})


from .builder import Step, add_step  # noqa: E402

add_day_hook(collections_day)
add_step(Step("collections", living_worklist, "collections run for the last 45 days, field orders worked, "
                                              "two reconnections"), after="collections_protections")
