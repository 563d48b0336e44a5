"""The outgoing e-mail page: what could not be delivered, why, and a retry."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ratepayer.staff.views import staff_page

from . import actions
from .errors import OutboxError
from .models import OutboxMessage

SHOWN = 200
FILTERS = {"problems": "Failed and waiting", "failed": "Failed", "queued": "Waiting", "sent": "Sent"}


def _context(request, shown: str) -> dict:
    rows = OutboxMessage.objects.all()
    if shown == "problems":
        rows = rows.exclude(status=OutboxMessage.Status.SENT)
    elif shown in ("failed", "queued", "sent"):
        rows = rows.filter(status=shown)
    order = "-sent_at" if shown == "sent" else "next_attempt_at"
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")))
    return {"rows": list(rows.order_by(order, "pk")[:SHOWN]), "shown": shown, "filters": FILTERS,
            "counts": {status: counts.get(status, 0) for status in OutboxMessage.Status.values},
            "limit": SHOWN, "max_attempts": actions.max_attempts()}


@staff_page(capability="mail.manage", doing="see outgoing e-mail")
def messages_page(request):
    shown = request.GET.get("show", "problems")
    if shown not in FILTERS:
        shown = "problems"
    return render(request, "outbox/messages.html", _context(request, shown))


@staff_page(capability="mail.manage", doing="retry outgoing e-mail")
@require_POST
def retry_message(request, message_id: int):
    try:
        message = actions.retry(user=request.user, message_id=message_id)
    except OutboxError as exc:
        messages.error(request, str(exc))
        return redirect("outbox:messages")
    messages.success(request, f"E-mail #{message.pk} to {', '.join(message.to)} is queued again; "
                              "a worker sends it in a moment.")
    return redirect("outbox:messages")
