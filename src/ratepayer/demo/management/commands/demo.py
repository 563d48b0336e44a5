"""ratepayer demo [--accounts N] [--seed S] [--months M] [--reset] [--format json]"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from ratepayer.demo import builder
from ratepayer.demo.errors import DemoError


class Command(BaseCommand):
    help = ("Build the demo utility (customers, premises, meters, agreements, opening balances, staff logins) "
            "into the configured database, then run a year of it: monthly reads, bill runs for every cycle and "
            "payments (lockbox and ACH files, counter drawers), October 2025 to October 2026. Above "
            f"{builder.FULL_YEAR_UP_TO_ACCOUNTS:,} accounts only the first {builder.SHORT_HISTORY_MONTHS} months "
            "are run unless --months says otherwise. Deterministic for a seed.")
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=builder.DEFAULT_ACCOUNTS,
                            help=f"number of accounts (default {builder.DEFAULT_ACCOUNTS})")
        parser.add_argument("--seed", type=int, default=builder.DEFAULT_SEED,
                            help=f"random seed; the same seed builds the same utility (default {builder.DEFAULT_SEED})")
        parser.add_argument("--months", type=int, default=None,
                            help=f"months of reads, bills and payments to run, 0 to {builder.MAX_MONTHS} (default "
                                 f"{builder.MAX_MONTHS}, or {builder.SHORT_HISTORY_MONTHS} above "
                                 f"{builder.FULL_YEAR_UP_TO_ACCOUNTS:,} accounts; 0: none)")
        parser.add_argument("--reset", action="store_true",
                            help="empty the configured database first (SQLite: recreate the file; PostgreSQL: "
                                 "drop every table) and migrate it")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        from ratepayer.demo.actions import empty_database

        started = time.perf_counter()
        text = options["format"] == "text"
        try:
            if options["reset"]:
                where = empty_database()
                if text:
                    self.stdout.write(f"emptied and migrated the {where}")

            def progress(step: str, seconds: float) -> None:
                if text:
                    self.stdout.write(f"  {step:<18} {seconds:8.1f} s")

            if text:
                self.stdout.write(f"building the demo utility: {options['accounts']} accounts, seed {options['seed']}")
            result = builder.build(accounts=options["accounts"], seed=options["seed"], months=options["months"],
                                   progress=progress)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        seconds = round(time.perf_counter() - started, 1)
        if options["format"] == "json":
            self.stdout.write(json.dumps({"accounts": options["accounts"], "seed": options["seed"],
                                          "seconds": seconds, "counts": result.counts, "steps": result.timings}))
            return
        self.stdout.write(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.counts.items()))
        self.stdout.write(f"demo utility built in {seconds} s; sign in with `ratepayer serve` "
                          f"(demo logins: {', '.join(d.username for d in builder.DEMO_LOGINS)}; "
                          f"password {builder.DEMO_PASSWORD})")
