"""Pure rating library: tariff model, rating engine, URDB import (no Django).

    from ratepayer import rating
    tariff = rating.load_tariff("snopud_schedule_7.yaml")   # or any path
    bill = rating.rate(tariff, rating.RegisterUsage(Decimal("900")), Period(...))

Modules, by concern: ``model`` (the tariff document), ``usage`` (what is rated),
``proration`` (where a period splits), ``register`` and ``interval`` (usage
measured for a tariff), ``tou`` (time-of-use masks), ``demand`` (billing
demand), ``lines`` (charges to lines), ``exact`` (fixed-point arithmetic),
``bills`` (results), ``engine`` (the entry points), ``urdb``, ``loaders``.
"""

from .bills import rate_text
from .engine import (
    BatchBill,
    Bill,
    BillLine,
    IntervalUsage,
    RatingError,
    RegisterUsage,
    ServiceInfo,
    plan_parts,
    rate,
    rate_intervals,
    rate_many,
    rate_registers,
    winter_average_daily,
)
from .loaders import EXAMPLES, LoadError, example_paths, load_green_button, load_interval_csv, load_tariff
from .model import FACTS, Tariff, TariffError, facts_needed, parse_tariff, to_document
from .urdb import UrdbError, is_urdb, urdb_to_document, urdb_to_tariff

__all__ = [
    "EXAMPLES",
    "FACTS",
    "BatchBill",
    "Bill",
    "BillLine",
    "IntervalUsage",
    "LoadError",
    "RatingError",
    "RegisterUsage",
    "ServiceInfo",
    "Tariff",
    "TariffError",
    "UrdbError",
    "example_paths",
    "facts_needed",
    "is_urdb",
    "load_green_button",
    "load_interval_csv",
    "load_tariff",
    "parse_tariff",
    "plan_parts",
    "rate",
    "rate_intervals",
    "rate_many",
    "rate_registers",
    "rate_text",
    "to_document",
    "urdb_to_document",
    "urdb_to_tariff",
    "winter_average_daily",
]
