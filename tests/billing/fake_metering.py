"""A stand-in for ``metering.queries`` with the agreed interface, so billing is
tested on its own: usage is a deterministic function of the agreement and
period unless a test sets ``OVERRIDES[agreement_id]`` (fields of BillingUsage,
or a UsageProblem reason string). One query per call, whatever the size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ratepayer.customers.models import ServiceAgreement

UNITS = {"electric": "kWh", "water": "CCF", "sewer": "CCF"}
OVERRIDES: dict[int, dict | str] = {}
CALLS: list[int] = []


@dataclass(frozen=True)
class UsageRequest:
    agreement_id: int
    service_point_id: int
    billed_through: date | None
    start_date: date
    end_date: date | None
    period_end: date


@dataclass(frozen=True)
class BillingUsage:
    agreement_id: int
    period_start: date
    period_end: date
    quantity: Decimal
    unit: str
    demand_kw: Decimal | None
    read_type: str
    consecutive_estimates: int
    opening_read_id: int | None
    closing_read_id: int | None
    meter_serials: tuple[str, ...]
    intervals: object | None = None


@dataclass(frozen=True)
class UsageProblem:
    agreement_id: int
    reason: str


def default_quantity(agreement_id: int, service: str, end: date) -> Decimal:
    if service == "electric":
        return Decimal(600 + (agreement_id * 37 + end.month * 11) % 500)
    return Decimal(5 + (agreement_id * 7 + end.month) % 9)


def usage_for_billing(requests: Sequence[UsageRequest]) -> dict:
    CALLS.append(len(requests))
    services = dict(ServiceAgreement.objects.filter(pk__in=[r.agreement_id for r in requests])
                    .values_list("pk", "service"))
    out = {}
    for r in requests:
        override = OVERRIDES.get(r.agreement_id)
        if isinstance(override, str):
            out[r.agreement_id] = UsageProblem(r.agreement_id, override)
            continue
        start = r.billed_through + timedelta(days=1) if r.billed_through else r.start_date
        end = min(r.period_end, r.end_date) if r.end_date else r.period_end
        service = services[r.agreement_id]
        fields = {"agreement_id": r.agreement_id, "period_start": start, "period_end": end,
                  "quantity": default_quantity(r.agreement_id, service, end), "unit": UNITS[service],
                  "demand_kw": None, "read_type": "actual", "consecutive_estimates": 0,
                  "opening_read_id": None, "closing_read_id": None, "meter_serials": (f"M{r.service_point_id}",)}
        fields.update(override or {})
        out[r.agreement_id] = BillingUsage(**fields)
    return out
