"""Benchmark: console search and the account page on a large demo utility.

Builds the demo utility (default 100,000 accounts) with ratepayer.demo into a
fresh database — a scratch SQLite file, or the PostgreSQL/SQLite database
given with --database-url (it is emptied first, and must be a demo or empty
database) — then, signed in as an account specialist through Django's full
request stack, measures

* GET /search/?q=… with a realistic mix of what people type at a counter or on
  the phone: account numbers, last names, "first last", street addresses,
  phone numbers, e-mails, meter numbers and partial prefixes;
* GET /accounts/<number>/ for random accounts (which also writes the
  account-view audit event, as in real use).

Prints one JSON object: accounts, queries measured, p50/p95/max milliseconds
for search (also per kind of query) and the account page, database vendor.

    .venv/bin/python bench/search.py [--accounts 100000] [--database-url URL] [--no-build]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

BENCH_FERNET_KEY = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="  # demo data only


def _configure(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-search-"))
    os.environ["RATEPAYER_VAR_DIR"] = str(scratch)
    # production-like settings (DEBUG off: no query logging in the timings), plain HTTP test client
    os.environ["RATEPAYER_DEBUG"] = "0"
    os.environ["RATEPAYER_SECRET_KEY"] = "bench-search-secret-key-not-for-production-0123456789"
    os.environ["RATEPAYER_FIELD_ENCRYPTION_KEY"] = BENCH_FERNET_KEY
    os.environ["RATEPAYER_SECURE_HTTPS"] = "0"
    os.environ["RATEPAYER_ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("RATEPAYER_TESTING", None)
    os.environ["RATEPAYER_DATABASE_URL"] = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": pick(0.50), "p95_ms": pick(0.95), "max_ms": round(ordered[-1] * 1000, 1)}


def _query_mix(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the database, in a fixed order for a seed."""
    from ratepayer.customers.models import Account, Contact, Customer, Meter, Premise

    def sample(qs, k):
        # pick by primary-key position, so sampling itself stays cheap at 100,000 rows
        ids = list(qs.values_list("pk", flat=True))
        chosen = sorted(rng.sample(ids, min(k, len(ids))))
        return list(qs.model.objects.filter(pk__in=chosen))

    per_kind = max(1, n // 9)
    people = sample(Customer.objects.filter(kind="person"), per_kind * 2)
    accounts = sample(Account.objects.all(), per_kind * 2)
    premises = sample(Premise.objects.all(), per_kind)
    contacts = sample(Contact.objects.exclude(phone=""), per_kind)
    mailboxes = sample(Contact.objects.exclude(email=""), per_kind)
    meters = sample(Meter.objects.all(), per_kind * 2)
    mix: list[tuple[str, str]] = []
    mix += [("account_number", a.number) for a in accounts[:per_kind]]
    mix += [("last_name", c.last_name) for c in people[:per_kind]]
    mix += [("first_last", f"{c.first_name} {c.last_name}") for c in people[per_kind:]]
    mix += [("street_address", " ".join(p.line1.split()[:2])) for p in premises]
    mix += [("phone", c.phone) for c in contacts]
    mix += [("email", c.email) for c in mailboxes]
    mix += [("meter", m.serial_number) for m in meters[:per_kind]]
    prefixes = []
    for i in range(per_kind):
        choice = i % 3
        if choice == 0:
            prefixes.append(accounts[per_kind + i % max(1, len(accounts) - per_kind)].number[:5])
        elif choice == 1:
            prefixes.append(people[i % len(people)].last_name[:3])
        else:
            prefixes.append(meters[per_kind + i % max(1, len(meters) - per_kind)].serial_number[:6])
    mix += [("prefix", p) for p in prefixes]
    rng.shuffle(mix)
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="", help="database to build into (emptied first); default: scratch SQLite")
    parser.add_argument("--no-build", action="store_true", help="measure the demo already in --database-url")
    parser.add_argument("--searches", type=int, default=900)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    if args.no_build and not args.database_url:
        parser.error("--no-build needs --database-url")
    _configure(args)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from ratepayer.customers.models import Account
    from ratepayer.demo import builder
    from ratepayer.demo.actions import empty_database
    from ratepayer.staff.models import AuditEvent

    build_seconds = None
    if not args.no_build:
        started = time.perf_counter()
        if args.database_url:
            empty_database()
        else:
            call_command("migrate", verbosity=0)
        builder.build(accounts=args.accounts, seed=args.seed)
        build_seconds = round(time.perf_counter() - started, 1)
    elif not AuditEvent.objects.filter(action="demo.built").exists():
        sys.exit(f"{args.database_url}: no demo utility here (build one or drop --no-build)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a nightly maintenance job would keep them
    accounts = Account.objects.count()

    rng = random.Random(args.seed)
    client = Client()
    client.force_login(get_user_model().objects.get(username="specialist"))
    search_url = reverse("console:search")
    mix = _query_mix(rng, args.searches)
    numbers = list(Account.objects.values_list("number", flat=True))
    page_numbers = rng.sample(numbers, min(args.pages, len(numbers)))

    def get(url: str, **params) -> float:
        started = time.perf_counter()
        response = client.get(url, params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {url} {params}: HTTP {response.status_code}")
        return elapsed

    for _kind, query in mix[:30]:  # warm caches and connections
        get(search_url, q=query, go="0")
    for number in page_numbers[:10]:
        get(reverse("customers:account", args=[number]))

    search_times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for kind, query in mix:
        elapsed = get(search_url, q=query, go="0")
        search_times.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
    page_times = [get(reverse("customers:account", args=[number])) for number in page_numbers]

    print(json.dumps({
        "benchmark": "search",
        "database": connection.vendor,
        "accounts": accounts,
        "build_seconds": build_seconds,
        "queries_measured": len(search_times),
        "search": _percentiles(search_times),
        "search_by_kind": {kind: _percentiles(times) for kind, times in sorted(by_kind.items())},
        "account_page": _percentiles(page_times),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),  # other work on the machine inflates every figure
    }, indent=2))


if __name__ == "__main__":
    main()
