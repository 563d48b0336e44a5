"""Payments actions (DESIGN §4 ``actions``), one module per area:

- ``core``: the posting core, the counter, drawers, deposits, transfers,
  returned payments, suspense;
- ``files``: lockbox and bank statement (BAI2) imports, reconciliation;
- ``autopay``: ACH enrollment, the daily debit file, settlement, returns, NOCs;
- ``refunds``: credit-balance and deposit refunds, unclaimed property;
- ``deposits``: customer security deposits (required, received, interest, released);
- ``represent``: ACH re-presentment of R01/R09 returns (RETRY PYMT);
- ``phone``: pay-by-phone (card processor) settlement files.
"""

from . import core, refunds
from .autopay import enroll_autopay, import_ach_returns, originate, run_autopay, settle, stop_autopay
from .core import (
    PaymentSpec,
    SuspenseSpec,
    apply_suspense,
    close_drawer,
    email_receipt,
    open_drawer,
    open_session_for,
    post_payments,
    post_suspense,
    prepare_deposit,
    resolve_returned_item,
    return_payment,
    take_payment,
    transfer_payment,
)
from .deposits import (
    accrue_interest,
    receive_deposit,
    release_deposit,
    require_deposit,
    review_deposits,
    set_interest_rate,
)
from .files import import_bank_statement, import_lockbox, match_bank_line, resolve_bank_exception
from .phone import PhoneCsvLayout, import_phone_payments
from .refunds import clear_refund, move_uncashed_to_unclaimed, request_refund
from .represent import cancel_representment, queue_representment


def register_approval_handlers() -> None:
    """Everything payments decides through approvals: drawer variances and refunds
    (here, so that core and refunds need not import each other)."""
    core.register_approval_handlers()
    refunds.register_approval_handlers()


__all__ = [
    "PhoneCsvLayout", "accrue_interest", "cancel_representment", "import_phone_payments", "queue_representment",
    "receive_deposit", "release_deposit", "require_deposit", "review_deposits", "set_interest_rate",
    "PaymentSpec", "SuspenseSpec", "apply_suspense", "clear_refund", "close_drawer", "email_receipt",
    "enroll_autopay", "import_ach_returns", "import_bank_statement", "import_lockbox", "match_bank_line",
    "move_uncashed_to_unclaimed", "open_drawer", "open_session_for", "originate", "post_payments", "post_suspense",
    "prepare_deposit", "register_approval_handlers", "request_refund", "resolve_bank_exception",
    "resolve_returned_item", "return_payment", "run_autopay", "settle", "stop_autopay", "take_payment",
    "transfer_payment",
]
