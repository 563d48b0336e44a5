"""RCW 57.08.081(7): a water-sewer district that fails to send a registered
landlord the copy of a tenant's delinquency notice has no lien for the tenant's
delinquent charges.

``landlord_copy_missing`` is the one question lien certification asks. The
registered-landlord records (``protection_models.RegisteredLandlord``: an owner who
asked in writing to be notified, with a complete mailing address) say when the duty
arose; each delinquency notice's ``landlord_copy`` says whether the copy went.
"""

from __future__ import annotations

from datetime import date


def landlord_copy_missing(*, account_id: int, premise_id: int, on: date) -> str | None:
    """Why the tenant's delinquency cannot be certified as a lien, or None.

    Returns the reason (naming the landlord and the notice not copied) when the
    premise's owner registered as a landlord with the district and a delinquency
    notice to ``account_id`` at ``premise_id`` up to ``on`` was not copied to them.
    Two queries."""
    from .models_core import Notice
    from .protection_models import RegisteredLandlord

    landlords = list(RegisteredLandlord.objects.filter(premise_id=premise_id, request_received_on__lte=on)
                     .order_by("request_received_on", "pk"))
    if not landlords:
        return None
    notices = Notice.objects.filter(account_id=account_id, served_on__lte=on, landlord_copy=False,
                                    served_on__gte=min(landlord.request_received_on for landlord in landlords))
    for notice in notices.order_by("served_on", "pk"):
        for landlord in landlords:
            registered = landlord.request_received_on <= notice.served_on and (
                landlord.ended_on is None or landlord.ended_on > notice.served_on)
            if registered:
                return (f"the {notice.get_kind_display().lower()} notice served {notice.served_on} was not copied "
                        f"to the registered landlord {landlord.owner_name} (registered "
                        f"{landlord.request_received_on}); RCW 57.08.081(7): no lien for the tenant's charges")
    return None
