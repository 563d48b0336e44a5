"""``ratepayer bai2 show FILE --format json|text`` — read a BAI2 bank statement.

Needs no database. Prints the groups, accounts, summaries and details; amounts are
strings in JSON. A file whose control totals or record counts do not add up is printed
(so staff can see it) and the command exits 1 with every problem as
``line N: field: what is wrong`` on stderr. ``--lenient`` reports those total mismatches
as warnings instead (for looking, never for posting).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.formats import bai2


class Command(BaseCommand):
    help = "Show a BAI2 bank statement file (no database needed)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print groups, accounts and details")
        show.add_argument("file")
        show.add_argument("--format", choices=["json", "text"], default="text")
        show.add_argument("--lenient", action="store_true", help="control-total mismatches are warnings")
        check = sub.add_parser("check", help="validate a BAI2 file; exit 1 with every problem")
        check.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        result = bai2.parse(path, check_totals=not options.get("lenient", False))
        report = result.report
        if options["action"] == "check":
            if report.ok:
                self.stdout.write(f"{path.name}: valid: {result.summary()}")
                return
            for line in report.lines():
                self.stdout.write(line)
            sys.exit(1)
        if options["format"] == "json":
            self.stdout.write(json.dumps(bai2.to_dict(result), indent=2))
        else:
            for group in result.groups:
                self.stdout.write(f"group {group.originator} as of {group.as_of_date} {group.currency}")
                for account in group.accounts:
                    self.stdout.write(f"  account {account.number} {account.currency}")
                    for s in account.summaries:
                        self.stdout.write(f"    {s.type_code} {s.description:<40} {s.amount}")
                    for t in account.transactions:
                        first = t.text.splitlines()[0] if t.text else ""
                        self.stdout.write(
                            f"    {t.type_code} {t.kind:<16} {str(t.amount):>14} {t.bank_reference} {first}"
                        )
            self.stdout.write(result.summary())
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if not report.ok:
            for line in report.lines():
                self.stderr.write(line)
            sys.exit(1)
