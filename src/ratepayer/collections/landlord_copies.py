"""RCW 57.08.081(7): a water-sewer district that fails to send a registered
landlord the copy of a tenant's delinquency notice has no lien for the tenant's
delinquent charges.

``landlord_copy_missing`` is the one question lien certification asks. It reads
the protections part's registered landlords (an owner who asked in writing to be
notified, with a complete mailing address: ``RegisteredLandlord``) and the
notices the daily job served (``Notice.landlord_copy``).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from .models import Notice, RegisteredLandlord

# the notices about a delinquency that the owner must get a copy of
DELINQUENCY_NOTICES = (Notice.Kind.PAST_DUE, Notice.Kind.FINAL, Notice.Kind.DISCONNECT)


def landlord_copy_missing(*, account_id: int, premise_id: int, on: date) -> str | None:
    """Why the tenant's delinquency cannot be certified as a lien, or None.

    Returns the reason (naming the landlord and the notice not copied) when the
    premise's owner registered as a landlord with the district and a delinquency
    notice to ``account_id`` served while the registration was in force, up to
    ``on``, was not copied to them. Two queries."""
    registrations = list(RegisteredLandlord.objects.filter(premise_id=premise_id, request_received_on__lte=on)
                         .order_by("request_received_on", "pk"))
    if not registrations:
        return None
    notices = list(Notice.objects.filter(account_id=account_id, kind__in=DELINQUENCY_NOTICES, served_on__lte=on,
                                         landlord_copy=False)
                   .filter(Q(served_on__gte=min(r.request_received_on for r in registrations)))
                   .order_by("served_on", "pk"))
    for notice in notices:
        for landlord in registrations:
            ended = landlord.ended_on
            if landlord.request_received_on <= notice.served_on and (ended is None or notice.served_on <= ended):
                return (f"the owner {landlord.owner_name} registered on {landlord.request_received_on:%Y-%m-%d} "
                        f"and was not sent a copy of the {notice.get_kind_display().lower()} served "
                        f"{notice.served_on:%Y-%m-%d}")
    return None
