"""The protections panel of the account's collections tab (``panels.register_panel``): what
protects the account from disconnection on the tab's date, and the way to record more."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from ..models.protections import (
    Dispute,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)
from ..queries.protections import premises_of


def context(request, account, on: date) -> dict:
    premise_ids = [p.pk for p in premises_of(account)]
    in_force = Q(closed_on__isnull=True) | Q(closed_on__gt=on)
    return {
        "p_certificates": list(MedicalCertificate.objects.filter(account=account, notified_on__lte=on,
                                                                 expires_on__gte=on).filter(in_force)),
        "p_disputes": list(Dispute.objects.filter(account=account, opened_on__lte=on).filter(in_force)),
        "p_winter": list(WinterProtection.objects.filter(account=account, notified_on__lte=on).filter(in_force)),
        "p_zones": sorted(set(PremiseZone.objects.filter(premise_id__in=premise_ids).values_list("zone", flat=True))),
        "p_premises": len(premise_ids),
        "p_landlords": list(RegisteredLandlord.objects.filter(premise_id__in=premise_ids, request_received_on__lte=on)
                            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))),
    }


def register() -> None:
    from ..panels import register_panel

    register_panel("protections", "Protections from disconnection", "collections/protections/_panel.html", context,
                   order=20)
