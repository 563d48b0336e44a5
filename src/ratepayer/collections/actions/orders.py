"""Service orders worked by people: schedule, record the field result, cancel;
and the reconnect a clerk orders at once when a disconnected customer pays or
agrees a plan. Each change goes through ``staff.transitions.change_status``
and writes an event row and its audit row."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.transitions import change_status

from .. import queries
from ..errors import ServiceOrderError
from ..models.core import ServiceOrder, ServiceOrderEvent

WORK_CAPABILITY = "service.start_stop"  # field orders start and stop service


def _locked(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update().select_related("service_point").get(pk=order.pk)


def schedule_order(*, user, order: ServiceOrder, on: date, note: str = "") -> ServiceOrder:
    """Put an order on a day's field schedule."""
    permissions.require(user, WORK_CAPABILITY, "schedule service orders")
    with transaction.atomic():
        order = _locked(order)
        if order.status == "scheduled" and order.scheduled_for == on:
            return order
        before = order.status
        if order.status == "scheduled":
            order.scheduled_for = on
            ServiceOrder.objects.filter(pk=order.pk).update(scheduled_for=on)
        else:
            change_status(order, "scheduled", refused=ServiceOrderError, fields={"scheduled_for": on},
                          action=AuditAction.SERVICE_ORDER_SCHEDULED, user_id=user.pk, account_id=order.account_id,
                          summary=f"{order.get_kind_display()} order #{order.pk} scheduled for {on}")
        ServiceOrderEvent.objects.create(order=order, from_status=before, to_status="scheduled", on=on,
                                         note=note[:300], by=user)
    return order


def complete_order(*, user, order: ServiceOrder, result: str, on: date | None = None, notes: str = "") -> ServiceOrder:
    """Record the field result of an order: done, paid at the premises, no
    access or unsafe. Only ``done`` changes the service; the others close the
    order with the reason (a new order is made by the next run if still due)."""
    permissions.require(user, WORK_CAPABILITY, "record field work")
    if result not in ServiceOrder.FieldResult.values:
        raise ServiceOrderError(f"Field result: {result!r} is not one of "
                                f"{', '.join(ServiceOrder.FieldResult.values)}.", field="field_result")
    on = on or timezone.localdate()
    with transaction.atomic():
        order = _locked(order)
        if on < order.requested_on:
            raise ServiceOrderError(f"Completed on: {on} is before the order was requested ({order.requested_on}).",
                                    field="completed_on")
        if result == "paid_at_premise" and order.kind != "disconnect":
            raise ServiceOrderError("Field result: 'paid at the premises' applies to a disconnect order only.",
                                    field="field_result")
        before = order.status
        change_status(order, "completed", refused=ServiceOrderError,
                      fields={"completed_on": on, "field_result": result, "field_notes": notes[:300]},
                      action=AuditAction.SERVICE_ORDER_COMPLETED, user_id=user.pk, account_id=order.account_id,
                      summary=f"{order.get_kind_display()} order #{order.pk} at "
                              f"{order.service_point.get_service_display()}: {ServiceOrder.FieldResult(result).label}",
                      before={"status": before}, after={"field_result": result, "completed_on": on.isoformat()})
        ServiceOrderEvent.objects.create(order=order, from_status=before, to_status="completed", on=on,
                                         note=(notes or ServiceOrder.FieldResult(result).label)[:300], by=user)
    return order


def cancel_order(*, user, order: ServiceOrder, reason: str) -> ServiceOrder:
    permissions.require(user, WORK_CAPABILITY, "cancel service orders")
    if not reason.strip():
        raise ServiceOrderError("Reason: say why the order is cancelled.", field="reason")
    with transaction.atomic():
        order = _locked(order)
        before = order.status
        change_status(order, "cancelled", refused=ServiceOrderError, action=AuditAction.SERVICE_ORDER_CANCELLED,
                      user_id=user.pk, account_id=order.account_id,
                      summary=f"{order.get_kind_display()} order #{order.pk} cancelled: {reason.strip()[:200]}")
        ServiceOrderEvent.objects.create(order=order, from_status=before, to_status="cancelled",
                                         on=timezone.localdate(), note=reason.strip()[:300], by=user)
    return order


def order_reconnect(*, user, disconnect: ServiceOrder, reason: str, on: date | None = None,
                    charge_fee: bool = True) -> ServiceOrder:
    """Reconnect a disconnected service point now (payment or arrangement
    taken at the counter): the order at once, the policy's reconnect fee
    posted (Dr 142 / Cr 451 ``service_fee``) unless waived."""
    permissions.require(user, WORK_CAPABILITY, "order a reconnection")
    on = on or timezone.localdate()
    if not reason.strip():
        raise ServiceOrderError("Reason: say why service is restored (payment, arrangement, medical certificate).",
                                field="reason")
    with transaction.atomic():
        disconnect = _locked(disconnect)
        if disconnect.kind != "disconnect" or disconnect.status != "completed" or disconnect.field_result != "done":
            raise ServiceOrderError(f"Order #{disconnect.pk} is not a completed disconnection; nothing to reconnect.")
        if ServiceOrder.objects.filter(service_point_id=disconnect.service_point_id, kind="reconnect",
                                       requested_on__gte=disconnect.completed_on).exclude(status="cancelled").exists():
            raise ServiceOrderError(f"Order #{disconnect.pk}: a reconnection is already ordered for this service.")
        fee_entry = None
        agreement = disconnect.agreement
        if charge_fee and agreement is not None:
            policy = queries.collection_policy_on(on, service=agreement.service,
                                                  customer_class=agreement.customer_class)
            if policy.reconnect_fee > 0:
                debit, credit = PostingRules().accounts("service_fee", agreement.service, agreement.customer_class)
                memo = f"Reconnect fee ({agreement.service})"
                fee_entry = post(event="service_fee", effective_date=on, description=memo,
                                 lines=[Line(debit, debit=policy.reconnect_fee, account_id=disconnect.account_id,
                                             agreement_id=agreement.pk, memo=memo),
                                        Line(credit, credit=policy.reconnect_fee, memo=memo)],
                                 source_type="collections.serviceorder", source_id=disconnect.pk,
                                 idempotency_key=f"reconnect_fee:{disconnect.pk}", created_by=user)
        order = ServiceOrder.objects.create(kind="reconnect", account_id=disconnect.account_id, agreement=agreement,
                                            service_point_id=disconnect.service_point_id, requested_on=on,
                                            scheduled_for=on, reason=reason.strip()[:200], fee_entry=fee_entry,
                                            created_by=user)
        ServiceOrderEvent.objects.create(order=order, to_status="requested", on=on, note=reason.strip()[:300], by=user)
        audit.record(AuditAction.SERVICE_ORDER_CREATED, obj=order, user_id=user.pk, account_id=order.account_id,
                     summary=f"reconnect ordered after disconnect #{disconnect.pk}: {reason.strip()[:150]}"
                             + ("; reconnect fee posted" if fee_entry else ""))
    return order
