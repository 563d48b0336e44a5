"""``ratepayer autopay run --date YYYY-MM-DD [--user NAME] [--format json] [--output FILE]``.

The daily autopay job: posts the ACH debits that settle by the date, then writes
the NACHA PPD file of debits due up to the next business day (``--output`` saves
it for the bank). Safe to run twice: nobody is debited or posted twice."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.payments.actions import run_autopay
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import ImportedFile
from ratepayer.staff.errors import PermissionRefused

from .. import importing


class Command(BaseCommand):
    help = "Run autopay for a date: settle, then write the NACHA debit file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="settle and originate autopay debits for a date")
        run.add_argument("--date", required=True, help="YYYY-MM-DD")
        run.add_argument("--user")
        run.add_argument("--format", choices=["json", "text"], default="text")
        run.add_argument("--output", help="write the NACHA file here")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {options['date']!r} is not YYYY-MM-DD") from exc
        try:
            result = run_autopay(on=on, user=importing.user_from(options))
        except (PaymentError, PermissionRefused) as exc:
            raise CommandError(str(exc)) from exc
        if options.get("output") and result["file_id"]:
            Path(options["output"]).write_text(ImportedFile.objects.get(pk=result["file_id"]).content)
            result["output"] = options["output"]
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.items()))
