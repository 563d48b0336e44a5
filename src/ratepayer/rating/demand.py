"""Billing demand: the measured demand raised by a ratchet and a floor.

Demand is measured once over the bill period (``Measures.demand``, from the
demand register or the interval maxima); the billing demand is the greatest
of that, the ratchet (a percent of the highest billing demand of the previous
months) and the charge's ``minimum_kw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from .exact import QUANTITY_SCALE, scaled
from .model import DemandCharge
from .usage import ServiceInfo


def ratchet_demand(charge: DemandCharge, services: Sequence[ServiceInfo]) -> np.ndarray:
    """Per meter: percent x the highest billing demand of the previous months (scaled kW)."""
    assert charge.ratchet is not None
    values = []
    for service in services:
        history = list(service.demand_history_kw)[-charge.ratchet.months:]
        highest = max(history) if history else Decimal(0)
        values.append(scaled(highest * charge.ratchet.percent / 100, QUANTITY_SCALE))
    return np.array(values, dtype=np.int64)


def billing_demand(charge: DemandCharge, measured: np.ndarray, services: Sequence[ServiceInfo]) -> np.ndarray:
    billing = measured
    if charge.ratchet is not None:
        billing = np.maximum(billing, ratchet_demand(charge, services))
    if charge.minimum_kw is not None:
        billing = np.maximum(billing, scaled(charge.minimum_kw, QUANTITY_SCALE))
    return billing
