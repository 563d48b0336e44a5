"""``ratepayer rates load-examples``: rate schedules from the real Washington
tariffs shipped with the rating engine (rating/examples/*.yaml).

    ratepayer rates load-examples [--format json]

Creates a schedule per example (E-7, E-24, W-RES, S-RES, ...) with one
approved version per effective date in the example. Idempotent: running it
again creates nothing and changes nothing. Errors go to stderr, exit status 2.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ratepayer.rates.actions import load_example_schedules
from ratepayer.rates.errors import RatesError
from ratepayer.rating import TariffError


class Command(BaseCommand):
    help = "Rate schedules: load-examples (the Washington tariffs in rating/examples)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="load-examples")
        load = sub.add_parser("load-examples", help="create schedules and approved versions from rating/examples")
        load.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_example_schedules()
        except (RatesError, TariffError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        self.stdout.write(f"schedules created: {len(result.schedules_created)} "
                          f"({', '.join(result.schedules_created) or 'none'})")
        self.stdout.write(f"versions created: {len(result.versions_created)}; already there: "
                          f"{len(result.versions_kept)}")
        for label in result.versions_created:
            self.stdout.write(f"  {label}")
