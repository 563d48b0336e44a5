"""``ratepayer ach check FILE`` / ``ratepayer ach show FILE --format json``.

A stable operator contract (issue 5); needs no database.

* ``check`` validates any NACHA file (PPD, CCD, WEB, returns, NOCs, …): exit 0 and a
  one-line summary on stdout when valid (warnings, if any, go to stderr); exit 1 with every
  problem as ``line N: field: what is wrong`` on stdout otherwise.
* ``returns import FILE`` imports a return/NOC file into payments (database; see
  payments.actions.autopay.import_ach_returns).
* ``show`` prints the batches and entries: ``--format json`` gives
  ``{"batches": [{"sec_code", "entries": [{"transaction_code", "routing", "amount",
  "trace", "return_code", …}]}], "totals": {…}}`` (amounts are strings, account numbers
  masked); ``--format text`` a table. Exit 1 (after printing) when the file is invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.formats import nacha

from .. import importing


class Command(BaseCommand):
    help = "Check or show a NACHA ACH file (no database needed)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate a NACHA file; exit 1 with every problem")
        check.add_argument("file")
        check.add_argument(
            "--allow-custom-return-codes",
            action="store_true",
            help="accept return reason codes outside the NACHA list (bank-specific R codes)",
        )
        show = sub.add_parser("show", help="print batches and entries")
        show.add_argument("file")
        show.add_argument("--format", choices=["json", "text"], default="text")
        show.add_argument("--allow-custom-return-codes", action="store_true")
        returns = sub.add_parser("returns", help="ACH returns and notifications of change (uses the database)")
        returns_sub = returns.add_subparsers(dest="returns_action", required=True)
        importing.add_import_arguments(returns_sub.add_parser("import", help="import a return/NOC file"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "returns":
            from ratepayer.payments.actions import import_ach_returns

            return importing.run(self, options, import_ach_returns, importing.describe_file)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        ach = nacha.parse(path, allow_custom_return_codes=options["allow_custom_return_codes"])
        report = ach.report
        if options["action"] == "check":
            if report.ok:
                for warning in report.warnings:
                    self.stderr.write(f"warning: {warning}")
                warn = f", {len(report.warnings)} warning(s)" if report.warnings else ""
                self.stdout.write(f"{path.name}: valid: {ach.summary()}{warn}")
                return
            for line in report.lines():
                self.stdout.write(line)
            sys.exit(1)
        if options["format"] == "json":
            self.stdout.write(json.dumps(nacha.to_dict(ach), indent=2))
        else:
            self._text(ach)
        if not report.ok:
            for line in report.lines():
                self.stderr.write(line)
            sys.exit(1)

    def _text(self, ach: nacha.AchFile) -> None:
        for batch in ach.batches:
            h = batch.header
            self.stdout.write(
                f"batch {h.batch_number} {h.sec_code} service class {h.service_class_code} "
                f"{h.company_name} {h.company_entry_description} effective {h.effective_entry_date}"
            )
            for e in batch.entries:
                code = f"{e.transaction_code:02d}" if e.transaction_code is not None else "??"
                extra = f" {e.return_code}" if e.return_code else ""
                noc = e.noc_addenda
                if noc is not None:
                    extra += f" {noc.change_code} {noc.corrected_data}"
                self.stdout.write(
                    f"  {code} {e.routing} {nacha.mask_account(e.dfi_account_number):>17} "
                    f"{e.amount:>14,.2f} {e.individual_name:<22} {e.trace_number}{extra}"
                )
        self.stdout.write(ach.summary())
