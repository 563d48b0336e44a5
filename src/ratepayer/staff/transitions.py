"""The one way a status changes (DESIGN §4).

Every model with a life cycle declares ``TRANSITIONS = {status: {next, ...}}``
and a ``status`` field with choices. ``change_status`` checks the map, moves
the row with a conditional UPDATE (``WHERE status = <the status we read>``, so
two clerks deciding the same row cannot both win), sets the new values on the
instance, and writes the audit row of the change when the caller names its
action. Refusals raise the caller's own domain error (``refused``), with a
message that names the row and both statuses; nothing is changed then.

Callers lock the row first (``select_for_update``) when they read it to decide.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import audit
from .audit import AuditAction


def _label(model: type[models.Model], status: str) -> str:
    choices = dict(model._meta.get_field("status").flatchoices)
    return str(choices.get(status, status)).lower()


def _what(obj: models.Model) -> str:
    return f"{str(obj._meta.verbose_name).capitalize()} #{obj.pk}"


def check(obj: models.Model, new_status: str, *, refused: type[Exception], what: str = "") -> None:
    """Refuse (``refused``) a change the model's transition map does not allow."""
    model = type(obj)
    if new_status not in model.TRANSITIONS[obj.status]:
        raise refused(f"{what or _what(obj)} is {_label(model, obj.status)} and cannot become "
                      f"{_label(model, new_status)}.")


def change_status(obj: models.Model, new_status: str, *, refused: type[Exception], what: str = "",
                  fields: dict[str, Any] | None = None, action: AuditAction | None = None, user_id: int | None = None,
                  account_id: int | None = None, summary: str = "", before: Any = None,
                  after: Any = None) -> None:
    """Move ``obj`` to ``new_status`` (and set ``fields`` in the same UPDATE);
    with ``action``, append its audit row (``summary``, ``before``/``after``).

    Refused with ``refused`` when the map forbids the change or the row is no
    longer in the status ``obj`` carries (someone else changed it meanwhile)."""
    check(obj, new_status, refused=refused, what=what)
    fields = fields or {}
    model = type(obj)
    if not model._default_manager.filter(pk=obj.pk, status=obj.status).update(status=new_status, **fields):
        raise refused(f"{what or _what(obj)} changed meanwhile; reload and try again.")
    obj.status = new_status
    for name, value in fields.items():
        setattr(obj, name, value)
    if action is not None:
        audit.record(action, obj=obj, user_id=user_id, account_id=account_id, summary=summary,
                     before=before, after=after)
