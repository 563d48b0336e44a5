"""``ratepayer lockbox import FILE [--csv-map JSON] [--user NAME] [--format json]``.

Imports a bank lockbox file (BAI lockbox fixed-width; ``.csv`` files, or any file
with ``--csv-map``, as CSV with the given column map, e.g.
``--csv-map '{"amount": "Amt", "stub_account": "Acct", "date_format": "%m/%d/%Y"}'``).
Atomic and idempotent: the same file twice, an item already imported, or totals that
don't add up refuse the whole file (exit 1, every problem on stderr)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.formats.lockbox import CsvLayout
from ratepayer.payments.actions import import_lockbox

from .. import importing


class Command(BaseCommand):
    help = "Import a bank lockbox file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a lockbox file (atomic, idempotent)")
        importing.add_import_arguments(imp)
        imp.add_argument("--csv-map", help="JSON column map for a CSV layout (keys of formats.lockbox.CsvLayout)")

    def handle(self, *args: Any, **options: Any) -> None:
        layout = None
        if options.get("csv_map"):
            try:
                layout = CsvLayout(**json.loads(options["csv_map"]))
            except (ValueError, TypeError) as exc:
                raise CommandError(f"--csv-map: {exc}") from exc

        def do_import(**kw):
            return import_lockbox(csv_layout=layout, **kw)

        importing.run(self, options, do_import, importing.describe_file)
