"""Benchmark: rebuilding the accent-folded search index, and folded searches.

Builds N synthetic accounts (ratepayer.demo.synthetic, no reads) into a
scratch SQLite file or the database given with --database-url (emptied and
migrated first), names every fifth customer with accents, apostrophes and
hyphens ("José Martínez-O'Brien 17"), then measures

* the customers 0004 migration's full re-index (customers.migrations
  0004_reindex_folded_terms.reindex_all), accounts per second;
* search_account_ids for accented, unaccented and upper-case spellings of
  those names and for plain ones: p50/p95/max milliseconds.

Prints one JSON object with the load average.

    .venv/bin/python bench/search_index.py [--accounts 20000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _configure(url: str) -> None:
    os.environ["RATEPAYER_DEBUG"] = "0"
    os.environ["RATEPAYER_SECRET_KEY"] = "bench-search-index-secret-key-not-for-production-0123456789"
    os.environ["RATEPAYER_FIELD_ENCRYPTION_KEY"] = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda p: round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)  # noqa: E731
    return {"p50_ms": pick(0.5), "p95_ms": pick(0.95), "max_ms": round(ordered[-1] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--searches", type=int, default=400)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='ratepayer-bench-index-')) / 'b.sqlite3'}"
    _configure(url)

    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    from ratepayer.customers.models import Customer
    from ratepayer.customers.queries import search_account_ids
    from ratepayer.demo import synthetic

    if args.database_url:
        call_command("flush", "--no-input", verbosity=0)
    call_command("migrate", verbosity=0)
    synthetic.build(accounts=args.accounts, cycle_code="X1", seed=3, start=date(2025, 1, 14),
                    period_end=date(2025, 2, 14), with_reads=False)
    firsts, lasts = ["José", "Zoë", "Łukasz", "Siobhán", "Ærin"], ["Martínez-O'Brien", "Núñez", "Müller-Smith", "Côté"]
    renamed = []
    for i, pk in enumerate(Customer.objects.order_by("pk").values_list("pk", flat=True)[::5]):
        renamed.append(Customer(pk=pk, name=f"{firsts[i % 5]} {lasts[i % 4]} {i}"))
    Customer.objects.bulk_update(renamed, ["name"], batch_size=2000)

    migration = importlib.import_module("ratepayer.customers.migrations.0004_reindex_folded_terms")
    with connection.schema_editor() as editor:
        started = time.perf_counter()
        migration.reindex_all(apps, editor)
        reindex_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    rng = random.Random(7)
    spellings = ["martinez", "Martínez", "MARTÍNEZ", "obrien", "O'Brien", "nunez", "Núñez", "muller smith",
                 "cote", "jose martinez", "zoe", "lukasz nunez", "customer", "siobhan cote"]
    times: dict[str, list[float]] = {"folded": [], "plain": []}
    hits = 0
    for _ in range(args.searches):
        query = rng.choice(spellings)
        started = time.perf_counter()
        hits += bool(search_account_ids(query))
        times["plain" if query == "customer" else "folded"].append(time.perf_counter() - started)
    print(json.dumps({
        "benchmark": "search_index",
        "database": connection.vendor,
        "accounts": args.accounts,
        "reindex_seconds": round(reindex_seconds, 2),
        "reindex_accounts_per_second": round(args.accounts / reindex_seconds),
        "searches": args.searches,
        "searches_with_results": hits,
        "search_folded": _ms(times["folded"]),
        "search_plain": _ms(times["plain"]) if times["plain"] else None,
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }))


if __name__ == "__main__":
    main()
