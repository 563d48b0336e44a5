"""Operator commands for payments features that have no command of their own.

``ratepayer payments phone import FILE [--csv-map JSON] [--user NAME] [--format json]``
    Import the pay-by-phone processor's daily settlement CSV (atomic,
    idempotent; a refused file prints every ``line N: field: problem`` and exits 1).
``ratepayer payments deposits interest --date YYYY-MM-DD [--user NAME]``
    Accrue interest on every security deposit held, up to the date (a second
    run for the same date posts nothing).
``ratepayer payments deposits review --date YYYY-MM-DD [--release --user NAME] [--method check|ach]``
    List the deposits due back (good-payment period passed, or service ended);
    with ``--release`` release each: applied to the balance owing, the rest
    refunded (above the user's refund limit it waits for approval).
``ratepayer payments represent list [--date YYYY-MM-DD]`` /
``ratepayer payments represent queue RETURN_ID [--user NAME]``
    R01/R09 returns that may be re-presented; queue one for the next ACH file.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ratepayer.payments import actions, queries
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import ReturnedPayment
from ratepayer.staff.errors import ApprovalError, PermissionRefused

from .. import importing


def _date(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--date: {text!r} is not YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = "Pay-by-phone imports, security deposit interest and review, ACH re-presentment."

    def add_arguments(self, parser: CommandParser) -> None:
        areas = parser.add_subparsers(dest="area", required=True)
        phone = areas.add_parser("phone", help="pay-by-phone settlement files").add_subparsers(dest="action",
                                                                                             required=True)
        imp = phone.add_parser("import", help="import a settlement CSV (atomic, idempotent)")
        importing.add_import_arguments(imp)
        imp.add_argument("--csv-map", help="JSON column map (keys of payments.actions.PhoneCsvLayout)")
        deposits = areas.add_parser("deposits", help="security deposits").add_subparsers(dest="action", required=True)
        interest = deposits.add_parser("interest", help="accrue interest up to a date")
        review = deposits.add_parser("review", help="deposits due back; --release releases them")
        review.add_argument("--release", action="store_true")
        review.add_argument("--method", choices=["check", "ach"], default="check")
        for p in (interest, review):
            p.add_argument("--date", help="YYYY-MM-DD (default today)")
            p.add_argument("--user")
            p.add_argument("--format", choices=["json", "text"], default="text")
        represent = areas.add_parser("represent", help="ACH re-presentment").add_subparsers(dest="action",
                                                                                          required=True)
        listing = represent.add_parser("list", help="returns that may be re-presented")
        queue = represent.add_parser("queue", help="queue a return for the next ACH file")
        queue.add_argument("returned_id", type=int)
        for p in (listing, queue):
            p.add_argument("--date", help="YYYY-MM-DD (default today)")
            p.add_argument("--user")
            p.add_argument("--format", choices=["json", "text"], default="text")

    def _out(self, options: dict, result: dict | list) -> None:
        if options.get("format") == "json":
            self.stdout.write(json.dumps(result, indent=2, default=str))
        elif isinstance(result, list):
            for row in result:
                self.stdout.write("  ".join(f"{k} {v}" for k, v in row.items()))
            if not result:
                self.stdout.write("nothing")
        else:
            self.stdout.write(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.items()))

    def handle(self, *args: Any, **options: Any) -> None:
        area, action = options["area"], options["action"]
        if area == "phone":
            self._phone(options)
            return
        user = importing.user_from(options)
        on = _date(options.get("date"))
        try:
            if area == "deposits" and action == "interest":
                self._out(options, actions.accrue_interest(on=on, user=user))
            elif area == "deposits":
                due = actions.review_deposits(on=on, user=user)
                rows = []
                for d in due:
                    row = {"account": d.account.number, "held": str(d.held), "why": d.due_reason}
                    if options["release"]:
                        if user is None:
                            raise CommandError("--release needs --user: a refund is made by a person, within "
                                               "their refund limit")
                        release = actions.release_deposit(user=user, deposit=d, reason=d.due_reason, on=on,
                                                          method=options["method"])
                        row.update({"applied": str(release.applied),
                                    "refund": str(release.refund.amount) if release.refund else "0.00",
                                    "refund_status": release.refund.status if release.refund else ""})
                    rows.append(row)
                self._out(options, rows)
            elif action == "list":
                self._out(options, [{"return_id": r.pk, "code": r.return_code, "account": r.account.number,
                                     "amount": str(r.amount), "attempt": r.attempt, "deadline": str(r.deadline),
                                     "final": r.final, "expired": r.expired}
                                    for r in queries.representable_returns(on)])
            else:
                returned = ReturnedPayment.objects.filter(pk=options["returned_id"]).first()
                if returned is None:
                    raise CommandError(f"no returned payment #{options['returned_id']}")
                r = actions.queue_representment(user=user, returned=returned, on=on)
                self._out(options, {"queued": r.pk, "attempt": r.attempt, "amount": str(r.amount)})
        except (PaymentError, PermissionRefused, ApprovalError) as exc:
            raise CommandError(str(exc)) from exc

    def _phone(self, options: dict) -> None:
        mapping = None
        if options.get("csv_map"):
            try:
                mapping = json.loads(options["csv_map"])
            except ValueError as exc:
                raise CommandError(f"--csv-map: {exc}") from exc
        try:
            layout = actions.PhoneCsvLayout.from_mapping(mapping)
        except (PaymentError, TypeError) as exc:
            raise CommandError(f"--csv-map: {exc}") from exc

        def do_import(**kw):
            return actions.import_phone_payments(layout=layout, **kw)

        importing.run(self, options, do_import, importing.describe_file)
