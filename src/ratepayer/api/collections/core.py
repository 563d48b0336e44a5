"""Collections backbone API: an account's collections status, the service
orders (list, record the field result, order a reconnection), the daily run,
and proposing a collection policy change. Each endpoint calls the same action
as the console page, with the same checks and audit rows."""

from __future__ import annotations

from datetime import date

from ninja import Field, Router, Schema, Status

from ratepayer.collections import queries
from ratepayer.collections.actions import daily, orders
from ratepayer.collections.actions import policy as policy_actions
from ratepayer.collections.models import ServiceOrder
from ratepayer.customers.models import Account
from ratepayer.staff import permissions

from ..errors import found
from ..pagination import limit_param, offset_param, page
from ..schemas import examples, read, write

router = Router()

RUN_CAPABILITY = "billing.run"


class CollectionsStatusOut(Schema):
    model_config = examples({
        "account_id": 16, "date": "2026-12-07", "stage": "final_notice", "balance": "191.00", "past_due": "191.00",
        "aging": [{"service": "electric", "current": "0.00", "days_1_30": "125.00", "days_31_60": "0.00",
                   "days_61_90": "0.00", "over_90": "0.00"}],
        "notices": [{"id": 3, "kind": "final", "served_on": "2026-11-20", "amount_past_due": "191.00",
                     "channel": "mail", "language": "en", "valid_from": "2026-11-28", "valid_until": "2026-12-11",
                     "document_ref": ""}],
        "service_orders": [], "late_fees": [{"assessed_on": "2026-11-04", "amount": "5.00",
                                             "charge_due_on": "2026-10-31"}],
        "disconnect_decision": {"date": "2026-12-07", "disconnect_allowed": False, "deciding_rule": "business_day",
                                "rules": [{"rule": "business_day", "verdict": "blocks",
                                           "reason": "December 11, 2026 is a Friday. …"}]},
        "agency_referrals": []})
    account_id: int
    date: date
    stage: str = Field(description="current, past_due, notified, final_notice, disconnect_ordered, disconnected, "
                                   "reconnect_ordered or agency_candidate")
    balance: str
    past_due: str
    aging: list[dict]
    notices: list[dict]
    service_orders: list[dict]
    late_fees: list[dict]
    disconnect_decision: dict | None = Field(description="the latest recorded decision: date, disconnect_allowed, "
                                                         "deciding_rule, rules [{rule, verdict, reason}]")
    agency_referrals: list[dict]


@read(router, "/accounts/{number}/collections", response={200: CollectionsStatusOut},
      operation_id="get_account_collections", summary="An account's collections status: aging, notices, orders, "
                                                      "the latest disconnect decision with its reasons")
def get_account_collections(request, number: str, on: date | None = None):
    permissions.require(request.auth, "account.view", "look up accounts")
    account = found(Account, f"No account {number!r}.", number=number.strip())
    return queries.account_collections(account.pk, on).as_dict()


class ServiceOrderOut(Schema):
    model_config = examples({"id": 7, "kind": "disconnect", "status": "completed", "account": "10000016",
                             "service": "electric", "requested_on": "2026-12-07", "scheduled_for": "2026-12-07",
                             "completed_on": "2026-12-07", "field_result": "done", "field_notes": ""})
    id: int
    kind: str
    status: str
    account: str
    service: str
    requested_on: date
    scheduled_for: date | None
    completed_on: date | None
    field_result: str
    field_notes: str


def _order_out(order: ServiceOrder) -> ServiceOrderOut:
    return ServiceOrderOut(id=order.pk, kind=order.kind, status=order.status, account=order.account.number,
                           service=order.service_point.service, requested_on=order.requested_on,
                           scheduled_for=order.scheduled_for, completed_on=order.completed_on,
                           field_result=order.field_result, field_notes=order.field_notes)


class ServiceOrderPage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None, "items": [
        ServiceOrderOut.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[ServiceOrderOut]


@read(router, "/service-orders", response={200: ServiceOrderPage}, operation_id="list_service_orders",
      summary="Service orders, oldest first (status: open, completed, cancelled or all; kind: disconnect, reconnect)")
def list_service_orders(request, status: str = "open", kind: str = "", offset: int = offset_param(),
                        limit: int = limit_param()):
    permissions.require(request.auth, "account.view", "see service orders")
    rows = ServiceOrder.objects.select_related("account", "service_point").order_by("requested_on", "id")
    if status == "open":
        rows = rows.filter(status__in=ServiceOrder.OPEN)
    elif status != "all":
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    items, next_offset = page(list(rows[offset:offset + limit + 1]), offset, limit)
    return ServiceOrderPage(offset=offset, limit=limit, next_offset=next_offset, items=[_order_out(o) for o in items])


class CompleteIn(Schema):
    model_config = examples({"field_result": "done", "completed_on": "2026-12-07", "notes": "meter locked"})
    field_result: str = Field(description="done, paid_at_premise (disconnect only), no_access or unsafe")
    completed_on: date | None = Field(None, description="default today")
    notes: str = ""


@write(router, "/service-orders/{order_id}/complete", response={200: ServiceOrderOut},
       operation_id="complete_service_order", summary="Record a field order's result (the crew's completion)")
def complete_service_order(request, order_id: int, payload: CompleteIn):
    permissions.require(request.auth, orders.WORK_CAPABILITY, "record field work")
    order = found(ServiceOrder, f"No service order #{order_id}; nothing was changed.", pk=order_id)
    order = orders.complete_order(user=request.auth, order=order, result=payload.field_result,
                                  on=payload.completed_on, notes=payload.notes)
    return _order_out(ServiceOrder.objects.select_related("account", "service_point").get(pk=order.pk))


class ReconnectIn(Schema):
    model_config = examples({"reason": "paid in full at the counter", "waive_fee": False})
    reason: str
    waive_fee: bool = False


@write(router, "/service-orders/{order_id}/reconnect", response={201: ServiceOrderOut},
       operation_id="order_reconnect", summary="Reconnect a disconnected service now (the reconnect fee per policy)")
def order_reconnect(request, order_id: int, payload: ReconnectIn):
    permissions.require(request.auth, orders.WORK_CAPABILITY, "order a reconnection")
    disconnect = found(ServiceOrder, f"No service order #{order_id}; nothing was changed.", pk=order_id)
    order = orders.order_reconnect(user=request.auth, disconnect=disconnect, reason=payload.reason,
                                   charge_fee=not payload.waive_fee)
    return Status(201, _order_out(ServiceOrder.objects.select_related("account", "service_point").get(pk=order.pk)))


class RunIn(Schema):
    model_config = examples({"date": "2026-12-07"})
    date: date


class RunOut(Schema):
    model_config = examples({"date": "2026-12-07", "accounts": 812, "chunks": 1, "late_fees": 40,
                             "late_fee_total": "212.00", "past_due_notices": 35, "final_notices": 12, "decisions": 9,
                             "disconnects_allowed": 4, "disconnect_orders": 5, "reconnect_orders": 1,
                             "cancelled_orders": 0, "agency_warnings": 2, "referrals": 1})
    date: date
    accounts: int
    chunks: int
    late_fees: int
    late_fee_total: str
    past_due_notices: int
    final_notices: int
    decisions: int
    disconnects_allowed: int
    disconnect_orders: int
    reconnect_orders: int
    cancelled_orders: int
    agency_warnings: int
    referrals: int


@write(router, "/collections/runs", response={200: RunOut}, operation_id="run_collections",
       summary="Run the daily collections job for a date (a second run of the same date changes nothing)")
def run_collections(request, payload: RunIn):
    permissions.require(request.auth, RUN_CAPABILITY, "run the collections job")
    return daily.run(payload.date, user=request.auth).as_dict()


class PolicyIn(Schema):
    model_config = examples({"effective_from": "2027-01-01", "reason": "Resolution 2026-14",
                             "values": {"utility_type": "water_sewer", "service": "water", "late_fee_kind": "percent",
                                        "late_fee_percent": "8.00", "late_fee_flat": "0.00"}})
    effective_from: date
    reason: str
    values: dict = Field(description="the policy's fields (see the collection policy page); those left out keep "
                                     "the defaults")


class PolicyRequestOut(Schema):
    model_config = examples({"approval_request_id": 31, "status": "pending"})
    approval_request_id: int
    status: str


@write(router, "/collection-policies", response={202: PolicyRequestOut}, operation_id="propose_collection_policy",
       summary="Propose a collection policy from a future date; in force once a second person approves it")
def propose_collection_policy(request, payload: PolicyIn):
    req = policy_actions.request_policy_change(user=request.auth, effective_from=payload.effective_from,
                                               values=payload.values, reason=payload.reason)
    return Status(202, PolicyRequestOut(approval_request_id=req.pk, status=req.status))
