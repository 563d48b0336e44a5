"""RCW 57.08.081(7): a water-sewer district that fails to send a registered
landlord the copy of a tenant's delinquency notice has no lien for the tenant's
delinquent charges.

``landlord_copy_missing`` is the one question lien certification asks. The
registered-landlord records (an owner who asked in writing to be notified, with a
complete mailing address) and the record of the copies sent belong to the
protections part of the app (helper "protect", migration 0003); until they are on
main no owner can have registered, so the duty never arose and the answer is
"nothing missing". protect replaces the body when its records land.
"""

from __future__ import annotations

from datetime import date


def landlord_copy_missing(*, account_id: int, premise_id: int, on: date) -> str | None:
    """Why the tenant's delinquency cannot be certified as a lien, or None.

    Returns the reason (naming the landlord and the notice not copied) when the
    premise's owner registered as a landlord with the district and a delinquency
    notice to ``account_id`` at ``premise_id`` up to ``on`` was not copied to them."""
    return None
