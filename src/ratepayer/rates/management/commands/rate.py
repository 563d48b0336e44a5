"""``ratepayer rate TARIFF [LOAD]``: the tariff calculator (``ratepayer.rating.cli``).

``ratepayer rate`` runs the calculator before Django is set up (no database,
no secret key); this management command is the same calculator for
``call_command("rate", ...)``. Options and output: ``ratepayer.rating.cli``
and docs/tariffs.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ratepayer.rating import cli


class Command(BaseCommand):
    help = "Rate a load (interval CSV, Green Button XML, or --kwh) on a tariff (ratepayer or URDB)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = cli.run(options)
        except cli.ERRORS as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(cli.output(result, options["format"]))
