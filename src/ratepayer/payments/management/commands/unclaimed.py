"""Unclaimed property (DOMAIN §A.9).

``ratepayer unclaimed move [--date YYYY-MM-DD] [--user NAME]``
    Void refund checks uncashed past the dormancy period (policy, one year)
    and move their liability to unclaimed property (Dr 232 / Cr 242).
``ratepayer unclaimed report --year YYYY [--output FILE]``
    The Washington DOR holder report for the year (property presumed
    abandoned July 1 of the year before to June 30): CSV with owner name,
    last address, amount, date of last contact, NAUPA property type.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ratepayer.payments import actions, queries
from ratepayer.payments.errors import PaymentError
from ratepayer.staff.errors import PermissionRefused

from .. import importing


class Command(BaseCommand):
    help = "Move dormant refund checks to unclaimed property; write the annual holder report."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        move = sub.add_parser("move", help="void dormant refund checks to unclaimed property")
        move.add_argument("--date", help="YYYY-MM-DD (default today)")
        move.add_argument("--user")
        report = sub.add_parser("report", help="the annual holder report (CSV)")
        report.add_argument("--year", type=int, required=True)
        report.add_argument("--output", help="write the CSV here (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            text = queries.unclaimed_report_csv(options["year"])
            if options.get("output"):
                Path(options["output"]).write_text(text)
                self.stdout.write(f"{options['output']}: {len(text.splitlines()) - 1} item(s)")
            else:
                self.stdout.write(text, ending="")
            return
        try:
            on = date.fromisoformat(options["date"]) if options.get("date") else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {options['date']!r} is not YYYY-MM-DD") from exc
        try:
            moved = actions.move_uncashed_to_unclaimed(user=importing.user_from(options), on=on)
        except (PaymentError, PermissionRefused) as exc:
            raise CommandError(str(exc)) from exc
        total = sum((r.amount for r in moved), 0)
        self.stdout.write(f"{len(moved)} refund check(s) voided to unclaimed property, total {total:.2f}")
