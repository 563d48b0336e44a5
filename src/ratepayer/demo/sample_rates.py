"""Residential tariff documents a fresh installation (demo, benchmark, tests)
bills with: electric, water and sewer of a Puget Sound public utility district.

They are ordinary tariff documents (``ratepayer-tariff/1``); a utility loads
its own through Rates. ``install_sample_rates`` creates the schedules with one
approved version each (idempotent)."""

from __future__ import annotations

from datetime import date

ELECTRIC = {
    "format": "ratepayer-tariff/1", "id": "sample-electric-residential", "name": "Residential electric",
    "service": "electric", "timezone": "America/Los_Angeles",
    "versions": [
        {"effective": "2024-04-01", "components": [
            {"type": "fixed", "name": "base", "description": "Daily base charge", "amount": "0.32", "per": "day"},
            {"type": "energy", "name": "energy", "description": "Energy charge", "unit": "kWh",
             "blocks": [{"upto": "1000", "rate": "0.09231"}, {"rate": "0.10412"}]},
            {"type": "rider", "name": "utility_tax", "kind": "tax", "description": "State public utility tax",
             "percent": "3.8734", "of": ["bill"]},
        ]},
        {"effective": "2025-04-01", "components": [
            {"type": "fixed", "name": "base", "description": "Daily base charge", "amount": "0.40", "per": "day"},
            {"type": "energy", "name": "energy", "description": "Energy charge", "unit": "kWh",
             "blocks": [{"upto": "1000", "rate": "0.08935"}, {"rate": "0.10118"}]},
            {"type": "rider", "name": "utility_tax", "kind": "tax", "description": "State public utility tax",
             "percent": "3.8734", "of": ["bill"]},
        ]},
    ],
}

WATER = {
    "format": "ratepayer-tariff/1", "id": "sample-water-residential", "name": "Residential water",
    "service": "water", "timezone": "America/Los_Angeles",
    "versions": [
        {"effective": "2024-01-01", "components": [
            {"type": "fixed", "name": "base", "description": "Ready-to-serve charge", "per": "month",
             "amounts_by": "meter_size", "amounts": {"5/8": "24.10", "3/4": "27.45", "1": "39.80", "1.5": "71.20",
                                                     "2": "112.60"}},
            {"type": "volume", "name": "water", "description": "Water use", "unit": "CCF",
             "blocks": [{"upto": "6", "rate": "3.12"}, {"upto": "15", "rate": "4.05"}, {"rate": "5.44"}]},
        ]},
    ],
}

SEWER = {
    "format": "ratepayer-tariff/1", "id": "sample-sewer-residential", "name": "Residential sewer",
    "service": "sewer", "timezone": "America/Los_Angeles",
    "versions": [
        {"effective": "2024-01-01", "components": [
            {"type": "fixed", "name": "sewer", "description": "Sewer service", "amount": "62.50", "per": "month",
             "multiply_by": "dwelling_units"},
        ]},
    ],
}

SAMPLES = {"RES-E": ("electric", ELECTRIC), "RES-W": ("water", WATER), "RES-S": ("sewer", SEWER)}


def install_sample_rates(effective_from: date = date(2024, 1, 1)) -> dict:
    """{code: RateSchedule} with an approved version of each sample document."""
    from ratepayer.rates.models import RateSchedule, RateVersion

    out = {}
    for code, (service, document) in SAMPLES.items():
        schedule, _ = RateSchedule.objects.get_or_create(code=code, defaults={"name": document["name"],
                                                                              "service": service})
        if not schedule.versions.filter(status=RateVersion.Status.APPROVED).exists():
            RateVersion.objects.create(schedule=schedule, effective_from=effective_from, document=document,
                                       status=RateVersion.Status.APPROVED, notes="sample residential rate")
        out[code] = schedule
    return out
