"""``ratepayer bank import FILE [--user NAME] [--format json]`` — import a BAI2 bank
statement and tie it out to our deposits; returned items go to the returned-payment
queue and anything unmatched to the reconciliation screen's exceptions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ratepayer.payments.actions import import_bank_statement

from .. import importing


class Command(BaseCommand):
    help = "Import a BAI2 bank statement and reconcile it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing.add_import_arguments(sub.add_parser("import", help="import a BAI2 statement (atomic, idempotent)"))

    def handle(self, *args: Any, **options: Any) -> None:
        importing.run(self, options, import_bank_statement, importing.describe_file)
