"""ratepayer ledger check [--format json]"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Ledger operations. `check` verifies the trial balance, the AR subledger and every cached balance."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        check = sub.add_parser("check", help="verify the ledger invariants; exit 1 naming each failure")
        check.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        if options["subcommand"] != "check":
            raise CommandError("unknown subcommand")
        from ratepayer.ledger.checks import run_all

        report = run_all()
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for check in report["checks"]:
                mark = "ok  " if check["ok"] else "FAIL"
                self.stdout.write(f"{mark} {check['name']}: {check['detail']}")
                for failure in check["failures"]:
                    self.stdout.write(f"     - {failure}")
            self.stdout.write("ledger check passed" if report["ok"] else "ledger check FAILED")
        if not report["ok"]:
            sys.exit(1)
