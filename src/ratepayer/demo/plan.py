"""What the demo build's steps share: the plan of the utility (pure Python, no
database) and ``DemoBuild``, the state every step reads and adds to. The
builder (builder.py), the history (history.py) and the payment habits
(payments.py) all import it from here, so none of them imports another to
reach it."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from faker import Faker

from ratepayer.customers.models import BillCycle
from ratepayer.rates.models import RateSchedule

from . import places


def conversion_date_for(today: date, months: int) -> date:
    """The day balances were carried over from the previous system: the first
    of the month ``months`` months before today's, so the history that
    follows it (history.py) runs through yesterday."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def ascii_name(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# --- the plan (pure Python, no database) ----------------------------------------

@dataclass
class PlannedContact:
    name: str
    role: str
    phone: str
    email: str
    is_primary: bool
    prefers: str


@dataclass
class PlannedCustomer:
    kind: str
    name: str
    first_name: str = ""
    last_name: str = ""
    language: str = "en"
    tax_id: str = ""
    date_of_birth: str = ""
    contacts: list[PlannedContact] = field(default_factory=list)
    pk: int | None = None


@dataclass
class PlannedPremise:
    line1: str
    line2: str
    city: places.City
    zip: str
    parcel_number: str
    premise_type: str
    dwelling_units: int
    space_heat_electric: bool
    services: tuple[str, ...]
    cycle: int = 0  # index into the bill cycles, set by route order
    water_meter_size: str = ""  # set with the meters
    pk: int | None = None
    points: dict[str, int] = field(default_factory=dict)  # service -> ServicePoint pk


@dataclass
class PlannedService:
    """An agreement to be: the account at a premise for one service."""

    premise: int  # index into plan.premises
    service: str
    start: date
    end: date | None = None
    previous: PlannedService | None = None
    event_in: str = "start"
    event_out: str = ""
    pk: int | None = None


@dataclass
class PlannedAccount:
    customer: int  # index into plan.customers
    customer_class: str
    large: bool
    premises: list[int]
    opened_on: date
    mailing: tuple[str, str, str, str]  # line1, line2, city, zip
    paperless: bool
    services: list[PlannedService] = field(default_factory=list)
    is_key_account: bool = False
    mover: bool = False
    number: str = ""
    pk: int | None = None


@dataclass
class Plan:
    customers: list[PlannedCustomer] = field(default_factory=list)
    premises: list[PlannedPremise] = field(default_factory=list)
    accounts: list[PlannedAccount] = field(default_factory=list)


# --- the build --------------------------------------------------------------------

@dataclass
class DemoBuild:
    """What the steps share. Later steps read what earlier ones made."""

    accounts: int
    seed: int
    months: int = 0  # months of reads, bills and payments after the conversion (history.py)
    today: date = field(default_factory=timezone.localdate)  # the history runs through the day before
    conversion_date: date = field(init=False)
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)
    first_names: list[str] = field(init=False)
    last_names: list[str] = field(init=False)
    users: dict[str, object] = field(default_factory=dict)
    schedules: dict[str, RateSchedule] = field(default_factory=dict)  # plan code -> schedule (after fallback)
    cycles: list[BillCycle] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)  # what a later step keeps for the next ones
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.conversion_date = conversion_date_for(self.today, self.months)
        self.rng = random.Random(self.seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(self.seed)
        # Faker draws names from weighted frequency tables; drawing pools once
        # keeps realistic frequencies at a fraction of the cost per customer.
        self.first_names = [ascii_name(self.fake.first_name()) for _ in range(4000)]
        self.last_names = [ascii_name(self.fake.last_name()) for _ in range(4000)]

    @property
    def account_ids(self) -> list[int]:
        return [a.pk for a in self.plan.accounts if a.pk is not None]
