"""``ratepayer arrangements check --date YYYY-MM-DD [--format json|text]`` — match the
ledger's payments to every open payment arrangement as of the date: activate those whose
down payment arrived, close the kept ones and break those with an installment unpaid past
its grace (collections.actions.arrangements.record_payments). Idempotent: the same date
twice changes nothing. The daily collections run is the place to call it each morning."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.collections.actions import arrangements
from ratepayer.staff.context import acting_as


class Command(BaseCommand):
    help = "Payment arrangements: match payments to installments and find the broken and kept ones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="match payments, break missed arrangements (idempotent)")
        check.add_argument("--date", required=True)
        check.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {options['date']!r} is not a date (YYYY-MM-DD)") from exc
        with acting_as(user_id=None, channel="command"):
            counts = arrangements.record_payments(on=on)
        if options["format"] == "json":
            self.stdout.write(json.dumps({"date": on.isoformat(), **counts}, indent=2))
        else:
            self.stdout.write(f"{on}: {counts['arrangements']} open arrangements; {counts['activated']} activated, "
                              f"{counts['kept']} kept, {counts['broken']} broken")
