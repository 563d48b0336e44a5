"""Every action a clerk can take in the console has an API endpoint (issue 11).

The test walks the URL resolver for the console's pages in the domain apps,
keeps those that accept POST (the source of the view reads ``request.POST``
or is ``require_POST``), and finds the actions a page dispatches on
(``op == "stop"``, ``decision == "approve"``, ``kind == "lockbox"``). Each page,
and each of its actions, must be in CONSOLE_ACTIONS, naming the operation
that does the same through the API — and that operation must be in the
OpenAPI schema. So a new console action without an endpoint fails here; add
the endpoint (api/<app>.py, declared with ``api.schemas.write``) and its line
below. A POST page that changes nothing, or that the API does another way,
goes in NOT_ACTIONS with the reason.
"""

from __future__ import annotations

import inspect
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

DOMAIN_APPS = {"customers", "billing", "payments", "metering", "rates", "console", "staff", "outbox", "collections"}

# url name (without its namespace: pages move between apps) -> operation id,
# or {dispatched action: operation id} for a page that does several things.
CONSOLE_ACTIONS: dict[str, str | dict[str, str]] = {
    # customers and accounts
    "new": "open_customer_account",
    "account_pii": "get_customer",  # the API shows PII (audited) to roles that may see it
    "account_note": "add_account_note",
    "account_edit": {"customer": "update_customer", "address": "change_mailing_address", "preferences": "change_bill_preferences",
                     "contact_add": "add_contact", "contact_update": "update_contact",
                     "contact_remove": "remove_contact"},
    "new_premise": "create_premise",
    "premise": {"service_point": "add_service_point", "(no op: install a meter)": "install_meter"},
    "account_service": {"start": "start_service", "stop": "stop_service", "transfer": "transfer_service"},
    "account_close": "close_account",
    # billing
    "account_adjust": "create_adjustment",
    "start_run": "start_bill_run",
    "render_documents": "prepare_bill_documents",
    "review_decide": {"release": "decide_held_bill", "correct": "decide_held_bill"},
    "cancel_rebill": "cancel_rebill",
    "policy": "set_billing_policy",
    # payments
    "drawer_open": "open_drawer",
    "take": "take_payment",
    "receipt": "email_receipt",
    "transfer": "transfer_payment",
    "drawer_close": "close_drawer",
    "deposit_create": "prepare_deposit",
    "file_upload": {"lockbox": "import_lockbox_file", "ach_returns": "import_ach_returns_file",
                    "bank": "import_bank_statement_file"},
    "suspense": "apply_suspense",
    "returns": "resolve_returned_payment",
    "reconciliation": {"match": "match_bank_line", "resolve": "resolve_bank_exception"},
    "autopay": "enroll_autopay",
    "refunds": "request_refund",
    "refund_cleared": "clear_refund",
    "refunds_unclaimed": "move_refunds_to_unclaimed",
    "security_deposits": {"require": "require_security_deposit", "receive": "receive_security_deposit",
                          "release": "release_security_deposit", "rate": "set_deposit_interest_rate",
                          "accrue": "accrue_deposit_interest"},
    "represent": {"queue": "queue_representment", "cancel": "cancel_representment"},
    "phone": "import_phone_payments_file",
    "unclaimed": "move_refunds_to_unclaimed",
    # meter reads
    "meter": "enter_read",
    "change_meter": "change_meter",
    "import": "import_read_file",
    "decide": "decide_read_exception",
    # rates
    "schedules": "create_rate_schedule",
    "version_new": "draft_rate_version",
    "version_edit": "update_rate_version",
    "version_decide": {"submit": "decide_rate_version", "approve": "decide_rate_version",
                       "reject": "decide_rate_version"},
    # approvals, limits, staff users
    "approval_decide": {"approve": "decide_approval", "reject": "decide_approval", "withdraw": "decide_approval"},
    "limits": "set_approval_limit",
    "staff": "create_staff_user",
    "staff_user": {"role": "set_staff_role", "deactivate": "deactivate_staff_user",
                   "reactivate": "reactivate_staff_user", "reset_password": "reset_staff_password"},
    # outgoing e-mail
    "retry": "retry_outbox_message",
    # collections: daily run, service orders, policy
    "run_collections": "run_collections",
    "complete_order": "complete_service_order",
    "order_reconnect": "order_reconnect",
    "collection_policy": "propose_collection_policy",
    # collections: payment arrangements and long-term contracts
    "arrangement_new": {"(no op: show the schedule)": "preview_arrangement", "save": "create_arrangement"},
    "arrangement_cancel": "cancel_arrangement",
    "contract_new": {"(no op: show the schedule)": "contract_schedule", "save": "create_contract"},
    "contract_action": {"prepay": "prepay_contract", "payoff": "pay_off_contract", "transfer": "transfer_contract"},
    # collections: closed accounts, agencies, write-offs, liens
    "closed_account": {"deposit": "apply_deposit_to_final_bill", "transfer": "transfer_closed_balance",
                       "assign": "assign_to_agency", "write_off": "request_write_off", "lien": "certify_lien"},
    "agencies": {"save_agency": "save_collection_agency", "write_file": "write_agency_file",
                 "remit": "record_agency_remittance", "recalled": "close_agency_assignment",
                 "returned": "close_agency_assignment"},
    "lien_release": "release_lien",
    # collections: protections from disconnection
    "heat_alerts": {"enter": "enter_heat_alert", "withdraw": "withdraw_heat_alert",
                    "import": "import_heat_alerts_file"},
    "protections_account": {"zone": "set_premise_zone", "medical": "record_medical_notice",
                            "certify": "certify_medical_certificate", "medical_change": "change_medical_certificate",
                            "medical_close": "close_medical_certificate", "dispute": "open_dispute",
                            "dispute_change": "change_dispute", "dispute_close": "close_dispute",
                            "winter": "request_winter_protection", "winter_change": "change_winter_protection",
                            "winter_close": "close_winter_protection", "landlord": "register_landlord",
                            "landlord_end": "end_landlord"},
}

# Actions the API offers that the console does not (yet): listed so the count below stays honest.
# (a heat-alert day and a registered landlord are corrected in the console by withdrawing or ending and entering again)
API_ONLY = {"stop_autopay", "import_interval_file", "change_heat_alert", "change_landlord"}

NOT_ACTIONS = {
    "calculator": "the rate calculator quotes a bill and changes nothing",
    "password_change": "a person's own sign-in password; API clients authenticate with tokens",
    "login": "signing in to the console", "logout": "signing out of the console",
}

_DISPATCH = [re.compile(r'\b(?:op|decision|kind)\s*==\s*"(\w+)"'),
             re.compile(r'\.get\("op"\)\s*==\s*"(\w+)"')]
_DISPATCH_IN = re.compile(r'\bop in \(([^)]*)\)')


def _patterns(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith(("api/", "admin/")):
                continue
            yield from _patterns(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern


def console_post_views() -> dict[str, tuple[str, set[str]]]:
    """url name -> (module, dispatched actions) of every console page that accepts POST."""
    found = {}
    for _namespace, pattern in _patterns(get_resolver()):
        view = inspect.unwrap(pattern.callback)
        view = getattr(view, "view_class", view)
        module = view.__module__
        if module.split(".")[1] not in DOMAIN_APPS and not module.startswith("django.contrib.auth"):
            continue
        source = inspect.getsource(view)
        if not any(mark in source for mark in ("require_POST", "request.POST", '"POST"', "form_valid")):
            continue
        actions = {m for rx in _DISPATCH for m in rx.findall(source)}
        for group in _DISPATCH_IN.findall(source):
            actions |= set(re.findall(r'"(\w+)"', group))
        found[pattern.name] = (module, actions)
    return found


@pytest.fixture
def operation_ids(api, db) -> dict[str, str]:
    schema = api.get("/api/v1/openapi.json").json()
    return {op["operationId"]: method for methods in schema["paths"].values() for method, op in methods.items()}


def test_the_walk_finds_the_console_actions():
    views = console_post_views()
    # a sample of pages of each kind: plain POST, dispatching, file upload, moved between apps
    assert {"take", "account_service", "file_upload", "approval_decide", "version_decide", "decide"} <= set(views)
    assert views["account_service"][1] == {"start", "stop", "transfer"}
    assert views["file_upload"][1] == {"lockbox", "ach_returns", "bank"}
    assert {"address", "contact_add", "contact_update", "contact_remove"} <= views["account_edit"][1]
    assert "search" not in views  # GET only


def test_every_console_action_has_an_api_operation(operation_ids):
    missing = []
    for name, (module, actions) in sorted(console_post_views().items()):
        if name in NOT_ACTIONS:
            continue
        mapped = CONSOLE_ACTIONS.get(name)
        if mapped is None:
            missing.append(f"{module} page {name!r} accepts POST and has no API operation in CONSOLE_ACTIONS")
            continue
        if isinstance(mapped, dict):
            missing += [f"{module} page {name!r} action {a!r} has no API operation" for a in actions - set(mapped)]
            ids = set(mapped.values())
        else:
            ids = {mapped}
        missing += [f"{name}: operation {i!r} is not in the OpenAPI schema" for i in ids - set(operation_ids)]
    assert not missing, "\n".join(missing)


def test_the_mapping_has_no_stale_lines():
    views = console_post_views()
    assert not set(CONSOLE_ACTIONS) - set(views), "pages listed in CONSOLE_ACTIONS that no longer accept POST"


def test_every_write_operation_is_a_console_action_or_listed_as_api_only(operation_ids):
    mapped = {v for m in CONSOLE_ACTIONS.values() for v in (m.values() if isinstance(m, dict) else [m])}
    writes = {op for op, method in operation_ids.items() if method == "post"}
    assert writes - mapped == API_ONLY
