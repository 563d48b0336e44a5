"""The demo utility: a deterministic, realistic utility built into the
configured database.

`build(accounts=N, seed=S)` runs the named steps in `STEPS` in order, inside
one transaction: a failed build leaves the database as it was. The first
steps are pure planning (who lives where, on which rate, with which meter)
drawn from one seeded random generator and one seeded Faker, so the same seed
always gives the same utility. The writing steps bulk-create rows instead of
calling the per-row actions (100,000 accounts must build in minutes), and so
keep, by construction, every invariant those actions keep:

- one active agreement per service point, one installed meter per point;
- every agreement has its AgreementEvent rows (start, transfer out/in);
- moves end the old agreement the day before the move and start the new one
  with ``previous`` pointing at it; the next occupant starts later;
- the search index is rebuilt with customers.actions.reindex_accounts;
- opening balances go through ledger.actions.post_entries with the
  ``opening_balance`` posting rule, so AR balances and `ledger check` hold;
- the build is one audit event (``demo.built``) with the counts.

Later issues extend the demo (a year of reads and bill runs, payments,
notices) by appending steps: ``add_step(Step("reads", build_reads),
after="opening_balances")``. A step receives the `DemoBuild` and finds in it
everything earlier steps made (users, schedules, cycles, accounts,
agreements, the conversion date).
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.test.utils import override_settings
from django.utils import timezone

from ratepayer.customers.actions import account_number_for, reindex_accounts
from ratepayer.customers.fields import tax_id_digest
from ratepayer.customers.models import (
    Account,
    AccountNote,
    AgreementEvent,
    BillCycle,
    Contact,
    Customer,
    Meter,
    MeterInstallation,
    Premise,
    ServiceAgreement,
    ServicePoint,
)
from ratepayer.db import bulk
from ratepayer.ledger.actions import EntrySpec, Line, PostingRules, post_entries
from ratepayer.ledger.chart import seed_chart
from ratepayer.outbox import actions as outbox
from ratepayer.rates.actions import load_example_schedules
from ratepayer.staff import audit, roles
from ratepayer.staff.actions import create_staff_user, ensure_roles
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.context import acting_as

from . import collections_plans, collections_protections, collections_writeoffs, history, places
from .errors import DemoError
from .plan import (
    DemoBuild,
    PlannedAccount,
    PlannedContact,
    PlannedCustomer,
    PlannedPremise,
    PlannedService,
    ascii_name,
)

DEFAULT_ACCOUNTS = 3000
# Thirteen months of history up to yesterday for up to this many accounts; a
# bigger demo lives its last three months unless told otherwise (a year at
# 100,000 accounts is 1.3 million bills).
FULL_YEAR_UP_TO_ACCOUNTS = 20000
MAX_MONTHS = 13
SHORT_HISTORY_MONTHS = 3


def default_months(accounts: int) -> int:
    return MAX_MONTHS if accounts <= FULL_YEAR_UP_TO_ACCOUNTS else SHORT_HISTORY_MONTHS

DEFAULT_SEED = 2026


# Demo-only credentials, printed by `ratepayer serve` and documented in
# docs/demo.md. Never use the demo on a database that holds real customers.
DEMO_PASSWORD = "ratepayer-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    first_name: str
    last_name: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("assistant", roles.ASSISTANT, "Alicia", "Moreno"),
    DemoLogin("specialist", roles.SPECIALIST, "Sam", "Whitaker"),
    DemoLogin("senior", roles.SENIOR, "Grace", "Lindqvist"),
    DemoLogin("supervisor", roles.SUPERVISOR, "Dana", "Okafor"),
    DemoLogin("kam", roles.KEY_ACCOUNT_MANAGER, "Kevin", "Tran"),
    DemoLogin("auditor", roles.FINANCE, "Fiona", "Brandt"),
)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoBuild], None]
    description: str = ""


def _phone(rng: random.Random, area_code: str) -> str:
    return f"({area_code}) 555-01{rng.randrange(100):02d}"


def _parcel(rng: random.Random) -> str:
    """14 digits, Snohomish County style: township-range-section-quarter
    parcels in the country, plat-lot numbers in town."""
    if rng.random() < 0.5:
        return (f"{rng.randint(27, 32):02d}{rng.randint(4, 8):02d}{rng.randint(1, 36):02d}"
                f"{rng.randint(1, 4):03d}{rng.randint(1, 399):03d}00")
    return f"00{rng.randint(1000, 9999)}000{rng.randint(1, 999):03d}00"


def _date_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _opened_on(rng: random.Random, conversion: date) -> date:
    # tenure is roughly exponential: most customers are recent, some go back decades
    years = min(40.0, rng.expovariate(1 / 7))
    day = conversion - timedelta(days=int(years * 365) + 30)
    return max(day, date(1986, 1, 2))


class _Addresses:
    """Unique street addresses per city, on named streets and the county grid."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def street_address(self, city: places.City) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.45:
                line = f"{rng.randint(100, 4999)} {rng.choice(city.streets)}"
            else:
                number = rng.randint(1000, 23999)
                ordinal = rng.randint(1, 240)
                suffix = "th" if 10 <= ordinal % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(ordinal % 10, "th")
                line = f"{number} {ordinal}{suffix} {rng.choice(places.GRID_KINDS)} {rng.choice(city.grid_suffix)}"
            key = f"{line}|{city.name}"
            if key not in self.used:
                self.used.add(key)
                return line


def _pick_city(rng: random.Random, cities: tuple[places.City, ...]) -> places.City:
    return rng.choices(cities, weights=[c.weight for c in cities])[0]


def _services_for(city: places.City) -> tuple[str, ...]:
    return (("electric",) if city.electric else ()) + (("water", "sewer") if city.water_sewer else ())


def _class_counts(n: int) -> dict[str, int]:
    industrial = max(1, round(n * 0.02))
    public = max(1, round(n * 0.01))
    commercial = max(1, round(n * 0.12))
    residential = n - industrial - public - commercial
    if residential < 1:
        raise DemoError(f"--accounts {n} is too small: the demo needs at least 4 accounts (one per class)")
    return {"residential": residential, "commercial": commercial, "industrial": industrial,
            "public_authority": public}


def _person(build: DemoBuild, city: places.City) -> PlannedCustomer:
    rng = build.rng
    roll = rng.random()
    language = "es" if roll < 0.07 else "ru" if roll < 0.10 else "en"
    first, last = rng.choice(build.first_names), rng.choice(build.last_names)
    if language == "es" and rng.random() < 0.8:
        last = rng.choice(("Garcia", "Hernandez", "Lopez", "Martinez", "Gonzalez", "Perez", "Ramirez", "Flores",
                           "Torres", "Rivera", "Cruz", "Morales", "Reyes", "Mendoza", "Vargas", "Castillo"))
    elif language == "ru":
        first = rng.choice(("Oleksandr", "Natalia", "Viktor", "Svetlana", "Dmitri", "Olga", "Yuri", "Irina",
                            "Sergei", "Tatiana", "Andriy", "Lyudmila", "Mykola", "Galina"))
        last = rng.choice(("Kovalenko", "Petrov", "Shevchenko", "Ivanova", "Melnyk", "Sokolov", "Bondarenko",
                           "Popov", "Kravchenko", "Volkova", "Tkachenko", "Morozov", "Lysenko", "Pavlenko"))
    name = f"{first} {last}"
    contact = PlannedContact(name=name, role="", phone="", email="", is_primary=True, prefers="mail")
    if rng.random() < 0.88:
        contact.phone = _phone(rng, city.area_code)
        contact.prefers = "phone"
    if rng.random() < 0.6:
        contact.email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(places.EMAIL_DOMAINS)}".lower()
        if rng.random() < 0.5:
            contact.prefers = "email"
    customer = PlannedCustomer(kind=Customer.Kind.PERSON, name=name, first_name=first, last_name=last,
                               language=language, contacts=[contact])
    if rng.random() < 0.65:
        customer.tax_id = f"9{rng.randint(0, 99):02d}-00-{rng.randint(0, 9999):04d}"  # never a valid SSN
    if rng.random() < 0.6:
        customer.date_of_birth = _date_between(rng, date(1938, 1, 1), date(2004, 12, 31)).isoformat()
    return customer


def _organization(build: DemoBuild, customer_class: str, city: places.City) -> PlannedCustomer:
    rng, fake = build.rng, build.fake
    if customer_class == "public_authority":
        name = rng.choice(places.PUBLIC_AUTHORITIES).format(city=city.name, n=rng.randint(1, 28))
    elif customer_class == "industrial":
        name = f"{rng.choice(places.REGIONAL_NAMES)} {rng.choice(places.INDUSTRY_KINDS)}"
        if rng.random() < 0.5:
            name += rng.choice((" Inc.", " LLC", " Co."))
    else:
        roll = rng.random()
        if roll < 0.45:
            name = f"{rng.choice(build.last_names)} {rng.choice(places.BUSINESS_KINDS)}"
        elif roll < 0.7:
            name = f"{rng.choice((city.name, *places.REGIONAL_NAMES))} {rng.choice(places.BUSINESS_KINDS)}"
        else:
            name = ascii_name(fake.company())
    contacts = []
    for i in range(rng.randint(1, 3)):
        person = f"{rng.choice(build.first_names)} {rng.choice(build.last_names)}"
        handle = person.lower().replace(" ", ".")
        contacts.append(PlannedContact(
            name=person, role=places.CONTACT_ROLES[(i + rng.randrange(3)) % len(places.CONTACT_ROLES)],
            phone=_phone(rng, city.area_code), email=f"{handle}@{rng.choice(places.EMAIL_DOMAINS)}",
            is_primary=i == 0, prefers="email"))
    return PlannedCustomer(kind=Customer.Kind.ORGANIZATION, name=name, contacts=contacts,
                           tax_id=f"00-{rng.randint(0, 9999999):07d}")  # prefix 00 is never issued


def _premise(build: DemoBuild, addresses: _Addresses, city: places.City, premise_type: str,
             dwelling_units: int = 1) -> PlannedPremise:
    rng = build.rng
    line2 = ""
    if premise_type in ("multi_family", "commercial") and rng.random() < 0.3:
        line2 = f"{rng.choice(places.UNIT_PREFIXES)} {rng.randint(1, 40)}{rng.choice(('', 'A', 'B'))}"
    return PlannedPremise(
        line1=addresses.street_address(city), line2=line2, city=city, zip=rng.choice(city.zips),
        parcel_number=_parcel(rng), premise_type=premise_type, dwelling_units=dwelling_units,
        space_heat_electric=premise_type in ("single_family", "mobile_home", "multi_family") and rng.random() < 0.4,
        services=_services_for(city))


def plan_utility(build: DemoBuild) -> None:
    """Decide every customer, premise, account and agreement (no database)."""
    rng, plan, conversion = build.rng, build.plan, build.conversion_date
    addresses = _Addresses(rng)
    counts = _class_counts(build.accounts)

    def add_premise(premise: PlannedPremise) -> int:
        plan.premises.append(premise)
        return len(plan.premises) - 1

    def add_account(customer: int, customer_class: str, premises: list[int], large: bool = False,
                    mailing_from_premise: bool = True) -> PlannedAccount:
        first = plan.premises[premises[0]]
        if mailing_from_premise:
            mailing = (first.line1, first.line2, first.city.name, first.zip)
        else:
            city = _pick_city(rng, places.CITIES)
            mailing = (f"PO Box {rng.randint(100, 19999)}", "", city.name, city.zips[0])
        opened = _opened_on(rng, conversion)
        account = PlannedAccount(customer=customer, customer_class=customer_class, large=large, premises=premises,
                                 opened_on=opened, mailing=mailing, paperless=rng.random() < 0.3)
        for i, p in enumerate(premises):
            start = opened if i == 0 else _date_between(rng, opened, conversion - timedelta(days=30))
            for service in plan.premises[p].services:
                account.services.append(PlannedService(premise=p, service=service, start=start))
        plan.accounts.append(account)
        return account

    # residential: one person, one premise, one account
    for _ in range(counts["residential"]):
        city = _pick_city(rng, places.CITIES)
        roll = rng.random()
        kind, units = ("single_family", 1) if roll < 0.82 else \
            ("multi_family", rng.choice((2, 2, 3, 4))) if roll < 0.93 else ("mobile_home", 1)
        p = add_premise(_premise(build, addresses, city, kind, units))
        plan.customers.append(_person(build, city))
        add_account(len(plan.customers) - 1, "residential", [p], mailing_from_premise=rng.random() < 0.93)

    # organizations: some with several premises on one account, some with several accounts
    remaining = {k: v for k, v in counts.items() if k != "residential"}
    premise_type = {"commercial": "commercial", "industrial": "industrial", "public_authority": "public"}
    for customer_class in ("industrial", "public_authority", "commercial"):
        while remaining[customer_class] > 0:
            city = _pick_city(rng, places.CITIES)
            plan.customers.append(_organization(build, customer_class, city))
            customer = len(plan.customers) - 1
            accounts_here = 1
            if customer_class != "industrial" and rng.random() < 0.12:
                accounts_here = min(remaining[customer_class], rng.randint(2, 4))
            for _ in range(accounts_here):
                if customer_class == "public_authority":
                    n_premises = rng.randint(2, 6)
                elif customer_class == "commercial":
                    n_premises = 1 if rng.random() < 0.9 else rng.randint(2, 3)
                else:
                    n_premises = rng.choice((1, 1, 2))
                premise_city = city
                premises = []
                for _ in range(n_premises):
                    units = rng.randint(6, 48) if customer_class == "commercial" and rng.random() < 0.1 else 1
                    premises.append(add_premise(_premise(build, addresses, premise_city, premise_type[customer_class],
                                                         units)))
                    if rng.random() < 0.3:
                        premise_city = _pick_city(rng, places.CITIES)
                large = customer_class == "industrial" or (customer_class == "commercial" and rng.random() < 0.15)
                add_account(customer, customer_class, premises, large=large,
                            mailing_from_premise=rng.random() < 0.6)
                remaining[customer_class] -= 1

    _plan_movers(build)
    _plan_key_accounts(build)
    _plan_routes(build)


def _plan_movers(build: DemoBuild) -> None:
    """~3% of residential customers moved within the utility: their old
    agreements ended the day before the move, the same services started at
    the new premise (previous = old), and the next occupant moved in later."""
    rng, plan, conversion = build.rng, build.plan, build.conversion_date
    residential = [a for a in plan.accounts if a.customer_class == "residential"]
    n_movers = max(1, round(len(residential) * 0.03)) if len(residential) >= 2 else 0
    by_services: dict[tuple[str, ...], list[PlannedAccount]] = defaultdict(list)
    for account in residential:
        by_services[plan.premises[account.premises[0]].services].append(account)
    movers = rng.sample(residential, n_movers)
    mover_ids = {id(a) for a in movers}
    # each group's possible successors in a seeded random order, taken in turn
    successors = {services: iter(rng.sample(group, len(group))) for services, group in sorted(by_services.items())}
    for mover in movers:
        new_premise = plan.premises[mover.premises[0]]
        successor = next((a for a in successors[new_premise.services] if id(a) not in mover_ids), None)
        if successor is None:
            continue
        old_premise = successor.premises[0]
        # before the bill run's 400-day look-back for final bills: the previous
        # system final-billed them
        move_date = _date_between(rng, conversion - timedelta(days=730), conversion - timedelta(days=420))
        mover.opened_on = min(mover.opened_on, move_date - timedelta(days=rng.randint(200, 3000)))
        mover.mover = True
        moved: list[PlannedService] = []
        for service in mover.services:
            old = PlannedService(premise=old_premise, service=service.service, start=mover.opened_on,
                                 end=move_date - timedelta(days=1), event_out="transfer_out")
            moved.append(old)
            service.start = move_date
            service.previous = old
            service.event_in = "transfer_in"
        mover.services = moved + mover.services
        # the next occupant of the old premise
        successor_start = move_date + timedelta(days=rng.randint(1, 45))
        successor.opened_on = successor_start
        for service in successor.services:
            service.start = successor_start


def _plan_key_accounts(build: DemoBuild) -> None:
    rng, plan = build.rng, build.plan
    large = [a for a in plan.accounts if a.large or a.customer_class == "public_authority"]
    wanted = min(20, max(1, build.accounts // 100), len(large))
    industrial_first = sorted(large, key=lambda a: (a.customer_class != "industrial", not a.large))
    pool = industrial_first[: max(wanted, min(len(large), wanted * 2))]
    for account in rng.sample(pool, wanted):
        account.is_key_account = True


def _plan_routes(build: DemoBuild) -> None:
    """Meter-reading routes: premises in street order, cut into the 20 cycles."""
    plan = build.plan
    order = sorted(range(len(plan.premises)),
                   key=lambda i: (plan.premises[i].city.name, plan.premises[i].line1.split(" ", 1)[-1],
                                  plan.premises[i].line1))
    for position, i in enumerate(order):
        plan.premises[i].cycle = position * 20 // len(order)


# --- writing steps --------------------------------------------------------------

def insert_rows(model: type[models.Model], fields: list[str], rows: list[tuple]) -> list[int]:
    """``ratepayer.db.bulk.insert_rows`` with the field names the build writes
    (``customer``, not ``customer_id``): COPY on PostgreSQL, one prepared
    statement on SQLite, the new primary keys returned in row order."""
    return bulk.insert_rows(model, [model._meta.get_field(name).attname for name in fields], rows)


def create_staff(build: DemoBuild) -> None:
    ensure_roles()
    seed_chart()
    User = get_user_model()
    existing = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_LOGINS])}
    # one deliberately slow password hash for all the demo users, not six
    password = make_password(DEMO_PASSWORD)
    for login in DEMO_LOGINS:
        user = existing.get(login.username)
        if user is None:
            user = create_staff_user(username=login.username, password=None, roles=[login.role],
                                     first_name=login.first_name, last_name=login.last_name,
                                     email=f"{login.username}@example-utility.org")
            User.objects.filter(pk=user.pk).update(password=password)
            user.password = password
        build.users[login.username] = user
    build.counts["staff_users"] = len(build.users)


def create_rate_schedules(build: DemoBuild) -> None:
    """The real tariff examples with every effective-dated version approved,
    exactly as a new utility's first rates are loaded."""
    loaded = load_example_schedules(approved_by=build.users["supervisor"])
    build.schedules = dict(loaded.schedules)
    missing = sorted({code for code in _SCHEDULE_CODES} - set(build.schedules))
    if missing:
        raise DemoError(f"rate schedules {', '.join(missing)} are not among the tariff examples")
    build.counts["rate_schedules"] = len(loaded.schedules)
    build.counts["rate_versions"] = len(loaded.versions_created)


def create_bill_cycles(build: DemoBuild) -> None:
    cycles = [BillCycle(code=f"{i + 1:02d}", name=f"Cycle {i + 1:02d}", read_day=1 + round(i * 27 / 19))
              for i in range(20)]
    have = {c.code: c for c in BillCycle.objects.all()}
    BillCycle.objects.bulk_create([c for c in cycles if c.code not in have])
    by_code = {c.code: c for c in BillCycle.objects.all()}
    build.cycles = [by_code[f"{i + 1:02d}"] for i in range(20)]


def create_customers(build: DemoBuild) -> None:
    plan, now = build.plan, timezone.now()
    ids = insert_rows(Customer, ["kind", "name", "first_name", "last_name", "language", "tax_id", "tax_id_digest",
                                 "date_of_birth", "created_at"],
                      [(c.kind, c.name, c.first_name, c.last_name, c.language, c.tax_id, tax_id_digest(c.tax_id),
                        c.date_of_birth, now) for c in plan.customers])
    for planned, pk in zip(plan.customers, ids, strict=True):
        planned.pk = pk
    contacts = insert_rows(Contact, ["customer", "name", "role", "phone", "email", "is_primary", "prefers"],
                           [(c.pk, k.name, k.role, k.phone, k.email, k.is_primary, k.prefers)
                            for c in plan.customers for k in c.contacts])
    build.counts["customers"] = len(ids)
    build.counts["contacts"] = len(contacts)


def create_premises(build: DemoBuild) -> None:
    plan = build.plan
    ids = insert_rows(Premise, ["line1", "line2", "city", "state", "zip", "parcel_number", "premise_type",
                                "dwelling_units", "space_heat_electric"],
                      [(p.line1, p.line2, p.city.name, "WA", p.zip, p.parcel_number, p.premise_type, p.dwelling_units,
                        p.space_heat_electric) for p in plan.premises])
    for planned, pk in zip(plan.premises, ids, strict=True):
        planned.pk = pk
    points = [(planned, service) for planned in plan.premises for service in planned.services]
    point_ids = insert_rows(ServicePoint, ["premise", "service", "label"],
                            [(planned.pk, service, "Main") for planned, service in points])
    for (planned, service), pk in zip(points, point_ids, strict=True):
        planned.points[service] = pk
    build.counts["premises"] = len(ids)
    build.counts["service_points"] = len(point_ids)


_ELECTRIC_MAKERS = ("Landis+Gyr", "Itron", "Aclara")
_WATER_MAKERS = ("Sensus", "Badger Meter", "Neptune")
_WATER_SIZES = {
    "single_family": (("5/8", 100),),
    "mobile_home": (("5/8", 100),),
    "multi_family": (("1", 60), ("1.5", 40)),
    "commercial": (("3/4", 20), ("1", 35), ("1.5", 25), ("2", 20)),
    "public": (("1", 20), ("1.5", 30), ("2", 35), ("3", 15)),
    "industrial": (("2", 40), ("3", 35), ("4", 25)),
}


def create_meters(build: DemoBuild) -> None:
    """A meter in every electric and water service point (sewer is unmetered),
    installed before the first agreement there started."""
    rng, plan = build.rng, build.plan
    first_start: dict[tuple[int, str], date] = {}
    class_at: dict[int, tuple[str, bool]] = {}
    for account in plan.accounts:
        for s in account.services:
            key = (s.premise, s.service)
            first_start[key] = min(first_start.get(key, s.start), s.start)
            class_at.setdefault(s.premise, (account.customer_class, account.large))
    meters: list[tuple] = []
    installs: list[tuple[int, date, Decimal]] = []
    electric_serial, water_serial = 30000000, 60000000
    for i, premise in enumerate(plan.premises):
        customer_class, large = class_at.get(i, ("residential", False))
        for service in premise.services:
            if service == "sewer":
                continue
            start = first_start.get((i, service), build.conversion_date)
            if service == "electric":
                electric_serial += 1
                interval = large
                ct_rated = interval or (customer_class in ("commercial", "industrial") and rng.random() < 0.3)
                meters.append((f"E{electric_serial}", "electric", "interval" if interval else "register", "kWh",
                               6 if ct_rated else 5, Decimal(rng.choice((40, 80)) if ct_rated else 1), "",
                               customer_class != "residential", rng.choice(_ELECTRIC_MAKERS)))
                installed = date(rng.randint(2019, 2021), rng.randint(1, 12), rng.randint(1, 28)) \
                    if interval else start - timedelta(days=rng.randint(0, 900))
                installed = min(installed, start)
            else:
                water_serial += 1
                sizes = _WATER_SIZES[premise.premise_type]
                size = rng.choices([s for s, _ in sizes], weights=[w for _, w in sizes])[0]
                premise.water_meter_size = size
                meters.append((f"W{water_serial}", "water", "register", "CCF", 4 if size in ("5/8", "3/4") else 6,
                               Decimal(1), size, False, rng.choice(_WATER_MAKERS)))
                installed = start - timedelta(days=rng.randint(0, 1500))
            installs.append((premise.points[service], installed, Decimal(rng.randint(0, 99999))))
    meter_ids = insert_rows(Meter, ["serial_number", "service", "kind", "unit", "dial_count", "multiplier", "size",
                                    "has_demand_register", "manufacturer"], meters)
    insert_rows(MeterInstallation, ["meter", "service_point", "installed_on", "install_read"],
                [(meter, point, day, read) for meter, (point, day, read) in zip(meter_ids, installs, strict=True)])
    build.counts["meters"] = len(meter_ids)


# The schedules agreements are put on. Residential electric is on Snohomish
# PUD Schedule 7, whose daily base charge depends on the agreement's size
# class; single-family sewer is billed on the winter average of the
# premise's water use, multi-family sewer per dwelling unit (Lake Stevens),
# and other sewer on Union Gap's ready-to-serve charge and volume by the
# water meter's size (no volume charge on a 3/4" meter).
_SCHEDULE_CODES = ("E-7", "E-24", "W-RES", "W-GEN", "S-RES", "S-WAV", "S-GEN")


def _schedule_code(service: str, customer_class: str, large: bool, premise: PlannedPremise) -> str:
    if service == "electric":
        return "E-7" if customer_class == "residential" else "E-24"
    if service == "water":
        # the tiered residential tariff has a base charge for the 5/8" meter only
        return "W-RES" if customer_class == "residential" and premise.premise_type != "multi_family" else "W-GEN"
    if customer_class != "residential":
        return "S-GEN"
    return "S-RES" if premise.premise_type == "multi_family" else "S-WAV"


def _size_class(service: str, customer_class: str, premise: PlannedPremise) -> str:
    """Schedule 7's size class (small: multi-family and small services;
    medium: single-family; large: a single-family home heated electrically,
    whose service is bigger). The demo's own rule, not the PUD's."""
    if service != "electric" or customer_class != "residential":
        return ""
    if premise.premise_type in ("multi_family", "mobile_home"):
        return "small"
    return "large" if premise.space_heat_electric else "medium"


def create_accounts(build: DemoBuild) -> None:
    plan = build.plan
    kam = build.users["kam"]
    rows = []
    for i, a in enumerate(plan.accounts):
        a.number = account_number_for(1000001 + i)
        rows.append((a.number, plan.customers[a.customer].pk, "active", a.mailing[0], a.mailing[1], a.mailing[2], "WA",
                     a.mailing[3], a.opened_on, a.is_key_account, kam.pk if a.is_key_account else None, a.paperless))
    ids = insert_rows(Account, ["number", "customer", "status", "mailing_line1", "mailing_line2", "mailing_city",
                                "mailing_state", "mailing_zip", "opened_on", "is_key_account", "key_account_manager",
                                "paperless"], rows)
    for planned, pk in zip(plan.accounts, ids, strict=True):
        planned.pk = pk
    build.counts["accounts"] = len(rows)
    build.counts["key_accounts"] = sum(1 for a in plan.accounts if a.is_key_account)
    build.counts["movers"] = sum(1 for a in plan.accounts if a.mover)


def create_agreements(build: DemoBuild) -> None:
    """Agreements in two passes (ended ones first, so the continuing ones can
    point at them), then one event row per start and per end."""
    plan = build.plan
    specialist = build.users["specialist"]
    columns = ["account", "service_point", "service", "rate_schedule", "customer_class", "bill_cycle", "start_date",
               "end_date", "status", "dwelling_units", "connected_load_kw", "size_class", "previous"]
    for ended_pass in (True, False):
        pending: list[tuple[PlannedService, tuple]] = []
        for account in plan.accounts:
            cycle = build.cycles[plan.premises[account.premises[0]].cycle]
            for s in account.services:
                if (s.end is not None) != ended_pass:
                    continue
                premise = plan.premises[s.premise]
                load = None
                if account.customer_class != "residential" and s.service == "electric":
                    load = Decimal(build.rng.randint(600 if account.large else 20, 4000 if account.large else 400))
                schedule = build.schedules[_schedule_code(s.service, account.customer_class, account.large, premise)]
                pending.append((s, (
                    account.pk, premise.points[s.service], s.service, schedule.pk, account.customer_class, cycle.pk,
                    s.start, s.end, ServiceAgreement.Status.ENDED if s.end else ServiceAgreement.Status.ACTIVE,
                    premise.dwelling_units, load, _size_class(s.service, account.customer_class, premise),
                    s.previous.pk if s.previous else None)))
        ids = insert_rows(ServiceAgreement, columns, [row for _, row in pending])
        for (planned, _), pk in zip(pending, ids, strict=True):
            planned.pk = pk
    events = []
    now = timezone.now()
    for account in plan.accounts:
        for s in account.services:
            events.append((s.pk, s.event_in, s.start, specialist.pk, now, ""))
            if s.end is not None:
                premise = plan.premises[account.services[-1].premise]
                events.append((s.pk, s.event_out or "stop", s.end, specialist.pk, now,
                               f"moved to {premise.line1}, {premise.city.name}"))
    insert_rows(AgreementEvent, ["agreement", "kind", "effective_date", "created_by", "created_at", "note"], events)
    build.counts["agreements"] = sum(len(a.services) for a in plan.accounts)
    build.counts["agreement_events"] = len(events)


def create_notes(build: DemoBuild) -> None:
    rng, plan = build.rng, build.plan
    authors = [build.users[name] for name in ("assistant", "specialist", "senior")]
    notes = []
    for account in plan.accounts:
        if rng.random() >= 0.06:
            continue
        for _ in range(rng.randint(1, 2)):
            kind, template = rng.choice(places.NOTE_TEMPLATES)
            text = template.format(season=rng.choice(("winter", "summer")),
                                   cycle=build.cycles[plan.premises[account.premises[0]].cycle].code,
                                   code=rng.randint(1000, 9999))
            written = timezone.make_aware(datetime.combine(
                build.conversion_date - timedelta(days=rng.randint(1, 700)), dt_time(rng.randint(8, 16), rng.randint(0, 59))))
            notes.append((account.pk, kind, text, rng.choice(authors).pk, written))
    insert_rows(AccountNote, ["account", "kind", "text", "created_by", "created_at"], notes)
    build.counts["notes"] = len(notes)


def build_search_index(build: DemoBuild) -> None:
    build.counts["search_terms"] = reindex_accounts(build.account_ids)


_TYPICAL_MONTH = {"electric": 110.0, "water": 55.0, "sewer": 80.0}
_CLASS_SCALE = {"residential": 1.0, "commercial": 6.0, "industrial": 60.0, "public_authority": 12.0}


def post_opening_balances(build: DemoBuild) -> None:
    """The balances carried over from the previous system, per active
    agreement: about half owe last month's bill, some are in arrears, a few
    carry a credit. One balanced entry per account (idempotent by account)."""
    rng, plan = build.rng, build.plan
    ar, equity = PostingRules().accounts("opening_balance")
    specs = []
    for account in plan.accounts:
        roll = rng.random()
        if roll < 0.48:
            continue
        credit = roll > 0.95
        months = 1.0 if roll < 0.88 else rng.uniform(2, 4)
        lines = []
        total = Decimal("0.00")
        for s in account.services:
            if s.end is not None:
                continue
            typical = _TYPICAL_MONTH[s.service] * _CLASS_SCALE[account.customer_class]
            amount = Decimal(str(round(rng.lognormvariate(math.log(typical), 0.45) * (0.3 if credit else months), 2)))
            if amount <= 0:
                continue
            total += amount
            lines.append(Line(gl_account=ar, credit=amount, account_id=account.pk, agreement_id=s.pk,
                              memo="opening credit balance") if credit else
                         Line(gl_account=ar, debit=amount, account_id=account.pk, agreement_id=s.pk,
                              memo="opening balance"))
        if not lines:
            continue
        lines.append(Line(gl_account=equity, debit=total, memo="conversion") if credit else
                     Line(gl_account=equity, credit=total, memo="conversion"))
        specs.append(EntrySpec(event="opening_balance", effective_date=build.conversion_date,
                               description=f"Opening balance for account {account.number} (conversion)",
                               lines=lines, source_type="customers.account", source_id=account.pk,
                               idempotency_key=f"opening-balance:{account.number}"))
    post_entries(specs, created_by=build.users["supervisor"])
    build.counts["opening_balance_entries"] = len(specs)


def record_summary(build: DemoBuild) -> None:
    audit.record(AuditAction.DEMO_BUILT, user_id=build.users["supervisor"].pk,
                 summary=f"demo utility built: {build.accounts} accounts, seed {build.seed}",
                 after={"seed": build.seed, "conversion_date": build.conversion_date, "counts": build.counts})


STEPS: list[Step] = [
    Step("staff", create_staff, "roles, chart of accounts and one staff user per role"),
    Step("rates", create_rate_schedules, "rate schedules from the real tariff examples"),
    Step("bill_cycles", create_bill_cycles, "cycles 01-20 with read days across the month"),
    Step("plan", plan_utility, "customers, premises, accounts, movers and key accounts in memory"),
    Step("customers", create_customers, "customers and contacts"),
    Step("premises", create_premises, "premises and service points"),
    Step("meters", create_meters, "meters and their installations"),
    Step("accounts", create_accounts, "accounts, key account assignments"),
    Step("agreements", create_agreements, "service agreements and their events"),
    Step("notes", create_notes, "account notes"),
    Step("search_index", build_search_index, "console search terms"),
    Step("opening_balances", post_opening_balances, "opening balances through the ledger"),
    Step("conversion_bills", history.create_conversion_bills, "the previous system's last bill per account"),
    Step("history", history.live_history,
         "reads, bill runs, payments, deposits and bank statements, day by day through yesterday"),
    Step("collections_plans", collections_plans.build_plans, "payment arrangements and long-term contracts"),
    Step("closed_accounts", collections_writeoffs.create_closed_accounts,
         "closed accounts that still owe: at the agency step, at an agency, a write-off awaiting approval"),
    Step("collections_protections", collections_protections.build_protections,
         "weather zones, heat-alert days, a medical notice, a dispute, winter protection, a registered landlord"),
    Step("summary", record_summary, "one audit event for the build"),
]


def add_step(step: Step, *, after: str | None = None) -> None:
    """The hook for later issues: insert a step after a named one (default:
    before the summary). Adding the same name twice replaces the step."""
    names = [s.name for s in STEPS]
    if step.name in names:
        STEPS[names.index(step.name)] = step
        return
    if after is None:
        STEPS.insert(names.index("summary"), step)
    elif after not in names:
        raise DemoError(f"no demo step named {after!r}; steps are: {', '.join(names)}")
    else:
        STEPS.insert(names.index(after) + 1, step)


def build(*, accounts: int = DEFAULT_ACCOUNTS, seed: int = DEFAULT_SEED, months: int | None = None,
          today: date | None = None, progress: Callable[[str, float], None] | None = None) -> DemoBuild:
    """Build the demo utility into the configured (empty) database in one
    transaction, its history ending the day before ``today`` (default: the
    clock's today). ``progress(step_name, seconds)`` is called after each step."""
    if accounts < 4:
        raise DemoError(f"--accounts {accounts} is too small: the demo needs at least 4 accounts (one per class)")
    existing = Account.objects.count()
    if existing:
        raise DemoError(f"the database already has {existing} accounts: the demo builds only into an empty "
                        "database (ratepayer demo --reset empties it first)")
    if months is None:
        months = default_months(accounts)
    if not 0 <= months <= MAX_MONTHS:
        raise DemoError(f"--months {months}: give 0 (no history) to {MAX_MONTHS}")
    state = DemoBuild(accounts=accounts, seed=seed, months=months, today=today or timezone.localdate())
    # notices to the demo's (fictional) customers are kept in memory, never sent
    with transaction.atomic(), acting_as(user_id=None, channel="command"), \
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for step in list(STEPS):
            started = time.perf_counter()
            step.run(state)
            state.timings[step.name] = round(time.perf_counter() - started, 3)
            if progress is not None:
                progress(step.name, state.timings[step.name])
        # the notices history wrote (receipts, returns, e-bills) go to the in-memory mailbox now
        outbox.deliver_due(limit=None)
    return state


from . import collections  # noqa: E402, F401 (adds the living collections worklist step)
