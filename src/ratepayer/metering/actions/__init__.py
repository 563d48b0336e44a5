"""Metering actions, by concern. Each action runs in one transaction, checks
``reads.manage`` (the read policy: ``approval_limit.edit``) and writes the audit trail
(one event per file for imports, one per read or decision otherwise).

* :mod:`.reads` — ``enter_read`` and ``store_reads``, the one path every read takes
* :mod:`.imports` — route files and bulk loads of register reads
* :mod:`.intervals` — Green Button and interval CSV imports, packed interval days
* :mod:`.exceptions` — working the read exceptions queue
* :mod:`.estimation` — estimated reads and ``usage_for_billing`` (the bill run's usage)
* :mod:`.meter_change` — changing the meter at a service point
* :mod:`.policy` — putting a read policy in force

The read side (history loading, the policy in force, interval ranges, the console's
queues) is ``metering.queries``; the file layouts are in ``ratepayer.formats``
(``route_file``, ``interval_csv``, ``greenbutton``). The names below are the public API
callers use as ``metering.actions.X``.
"""

from ..queries import HISTORY_DAYS, History, Policy, load_history, read_policy_on
from .estimation import (
    BillingUsage,
    UsageProblem,
    UsageRequest,
    estimate_missing_reads,
    estimated_read,
    record_estimated_reads,
    usage_for_billing,
)
from .exceptions import work_exception
from .imports import ImportResult, import_route_file, load_mapping, load_reads_bulk, parse_route_file
from .intervals import IntervalImportResult, import_intervals, load_intervals_bulk
from .meter_change import change_meter
from .policy import POLICY_CAPABILITY, set_read_policy
from .reads import ENTERABLE_TYPES, ReadInput, StoreResult, enter_read, store_reads

__all__ = [
    "ENTERABLE_TYPES", "HISTORY_DAYS", "POLICY_CAPABILITY", "BillingUsage", "History", "ImportResult",
    "IntervalImportResult", "Policy", "ReadInput", "StoreResult", "UsageProblem", "UsageRequest", "change_meter",
    "enter_read", "estimate_missing_reads", "estimated_read", "import_intervals", "import_route_file",
    "load_history", "load_intervals_bulk", "load_mapping", "load_reads_bulk", "parse_route_file", "read_policy_on",
    "record_estimated_reads", "set_read_policy", "store_reads", "usage_for_billing", "work_exception",
]
