"""Changing the meter at a service point: the old meter's out read and the new
meter's in read on the same day, with the installations, in one transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from ratepayer.customers import actions as customer_actions
from ratepayer.customers.models import Meter, MeterInstallation, ServicePoint
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from ..errors import MeteringError
from ..models import RegisterRead
from .reads import RT, ReadInput, store_reads


def change_meter(*, user, service_point: ServicePoint, new_meter: Meter, change_date: date, out_read, in_read,
                 note: str = "") -> tuple[RegisterRead, RegisterRead]:
    """Swap the meter at a service point: the old meter's out read (its last usage is
    billed) and the new meter's in read (its starting point), on the same day."""
    permissions.require(user, "reads.manage", "record meter changes")
    with transaction.atomic():
        old = (MeterInstallation.objects.select_for_update()
               .filter(service_point=service_point, removed_on__isnull=True).select_related("meter").first())
        if old is None:
            raise MeteringError(f"{service_point} has no meter installed to change.")
        out = store_reads([ReadInput(old.meter.serial_number, change_date, Decimal(str(out_read)), RT.METER_OUT,
                                      note=note)], user=user, source=RegisterRead.Source.CONSOLE,
                           file_name="meter change").reads[0]
        try:
            customer_actions.remove_meter(user=user, installation=old, removed_on=change_date, removal_read=out_read)
            customer_actions.install_meter(user=user, meter=new_meter, service_point=service_point,
                                           installed_on=change_date, install_read=in_read)
        except Exception as exc:  # CustomerError, PermissionRefused: re-raised as ours, nothing kept
            raise MeteringError(str(exc)) from exc
        inn = store_reads([ReadInput(new_meter.serial_number, change_date, Decimal(str(in_read)), RT.METER_IN,
                                      note=note)], user=user, source=RegisterRead.Source.CONSOLE,
                           file_name="meter change").reads[0]
        audit.record(AuditAction.METER_CHANGED, user_id=user.pk, obj=service_point,
                     summary=f"{old.meter} (out {out_read}) → {new_meter} (in {in_read}) on {change_date}")
    return out, inn
