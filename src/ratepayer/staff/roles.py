"""Roles (Django groups) and the permission matrix, kept in code.

The matrix is the single source of truth: `ensure_roles()` writes it into the
database groups, `docs/roles.md` documents it, and every action checks a
capability with `require(user, capability)` — templates only hide what the
action would refuse anyway.
"""

from __future__ import annotations

ASSISTANT = "Assistant account specialist"
SPECIALIST = "Account specialist"
SENIOR = "Senior account specialist"
SUPERVISOR = "Customer account supervisor"
KEY_ACCOUNT_MANAGER = "Key account manager"
FINANCE = "Finance / auditor"

ROLES = [ASSISTANT, SPECIALIST, SENIOR, SUPERVISOR, KEY_ACCOUNT_MANAGER, FINANCE]

# capability -> what it lets a person do (shown in docs and the user admin page)
CAPABILITIES: dict[str, str] = {
    "account.view": "look up customers and accounts, see balances and history",
    "account.view_pii": "see customer tax ID, date of birth and bank details unmasked",
    "account.maintain": "open accounts, edit customers, contacts, premises and meters",
    "account.note": "add notes and log calls on an account",
    "service.start_stop": "start, stop and transfer service",
    "payment.take": "take payments at the counter",
    "payment.manage": "import lockbox, ACH and bank files; work suspense, returned payments and transfers; refunds",
    "reads.manage": "enter meter reads and work read exceptions",
    "billing.run": "start bill runs and release held bills",
    "adjustment.request": "request debit and credit adjustments (posted directly within the limit)",
    "approval.decide": "approve or reject requests made by others",
    "approval_limit.edit": "set approval limits per role and action",
    "rates.manage": "draft rate schedule versions",
    "rates.approve": "approve rate schedule versions",
    "audit.view": "read the audit trail",
    "ledger.view": "read the general ledger, trial balance and reconciliation reports",
    "users.admin": "create staff users and assign roles",
    "mail.manage": "see outgoing e-mail that could not be delivered and send it again",
    "keyaccounts.portfolio": "work a key account portfolio",
    "api.use": "use the HTTP API with a personal token",
    "arrangement.manage": "set up and cancel payment arrangements (within the arrangement limit)",
    "arrangement.allow_more": "allow a second active payment arrangement on one account",
    "contract.manage": "set up long-term contracts, record prepayments, pay-offs and property transfers",
}

_ASSISTANT = {"account.view", "account.note", "service.start_stop", "payment.take", "api.use"}
_SPECIALIST = _ASSISTANT | {"account.maintain", "reads.manage", "billing.run", "adjustment.request",
                            "payment.manage", "arrangement.manage"}
_SENIOR = _SPECIALIST | {"approval.decide", "account.view_pii", "contract.manage"}
_SUPERVISOR = _SENIOR | {
    "approval_limit.edit",
    "arrangement.allow_more",
    "rates.manage",
    "rates.approve",
    "audit.view",
    "ledger.view",
    "users.admin",
    "mail.manage",
}
_KEY_ACCOUNT_MANAGER = {
    "account.view",
    "account.note",
    "keyaccounts.portfolio",
    "service.start_stop",
    "api.use",
}
_FINANCE = {"account.view", "audit.view", "ledger.view", "api.use"}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    ASSISTANT: frozenset(_ASSISTANT),
    SPECIALIST: frozenset(_SPECIALIST),
    SENIOR: frozenset(_SENIOR),
    SUPERVISOR: frozenset(_SUPERVISOR),
    KEY_ACCOUNT_MANAGER: frozenset(_KEY_ACCOUNT_MANAGER),
    FINANCE: frozenset(_FINANCE),
}

# Actions with money approval limits (staff.models.ApprovalLimit.action).
LIMITED_ACTIONS = {
    "adjustment": "Account adjustment",
    "refund": "Refund",
    "write_off": "Write-off",
    "arrangement": "Payment arrangement",
    # counter payments above the limit of the clerk's role wait for another person's approval
    "payment_cash": "Cash payment at the counter",
    "payment_check": "Check payment at the counter",
    "payment_card": "Card payment at the counter",
    "payment_money_order": "Money order at the counter",
}

# The limited action of each counter tender (payments.actions.core.take_payment).
COUNTER_PAYMENT_LIMITS = {"cash": "payment_cash", "check": "payment_check", "card": "payment_card",
                          "money_order": "payment_money_order"}

# Limits a fresh installation starts with (a supervisor changes them in the console).
DEFAULT_LIMITS: dict[str, dict[str, str]] = {
    ASSISTANT: {"adjustment": "0.00", "refund": "0.00", "write_off": "0.00", "arrangement": "0.00",
                "payment_cash": "10000.00", "payment_check": "250000.00", "payment_card": "25000.00",
                "payment_money_order": "10000.00"},
    SPECIALIST: {"adjustment": "250.00", "refund": "200.00", "write_off": "100.00", "arrangement": "1000.00",
                 "payment_cash": "10000.00", "payment_check": "250000.00", "payment_card": "25000.00",
                 "payment_money_order": "10000.00"},
    SENIOR: {"adjustment": "1000.00", "refund": "1000.00", "write_off": "500.00", "arrangement": "5000.00",
             "payment_cash": "50000.00", "payment_check": "1000000.00", "payment_card": "100000.00",
             "payment_money_order": "50000.00"},
    SUPERVISOR: {"adjustment": "10000.00", "refund": "10000.00", "write_off": "5000.00", "arrangement": "25000.00",
                 "payment_cash": "250000.00", "payment_check": "5000000.00", "payment_card": "250000.00",
                 "payment_money_order": "250000.00"},
    KEY_ACCOUNT_MANAGER: {"adjustment": "0.00", "refund": "0.00", "write_off": "0.00", "arrangement": "0.00",
                          "payment_cash": "0.00", "payment_check": "0.00", "payment_card": "0.00",
                          "payment_money_order": "0.00"},
    FINANCE: {"adjustment": "0.00", "refund": "0.00", "write_off": "0.00", "arrangement": "0.00",
              "payment_cash": "0.00", "payment_check": "0.00", "payment_card": "0.00", "payment_money_order": "0.00"},
}


def capabilities_for_roles(role_names: set[str] | list[str]) -> frozenset[str]:
    result: set[str] = set()
    for role in role_names:
        result |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(result)
