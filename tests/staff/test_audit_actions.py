"""Every public action writes its audit row, with an action from the enumeration.

``AUDITED`` names, for each public function of the apps' actions modules that
changes state for a person, the ``AuditAction`` members it writes; the source
is read (the function and the module's functions it calls, and staff's
approvals it goes through) to prove each writes them. ``NOT_AUDITED`` names the
rest, each with its reason. A new public action in an actions module fails
``test_every_public_action_is_classified`` until it is listed in one of the
two — and in ``AUDITED`` only when it writes its row.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from ratepayer.staff import audit
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.models import AuditEvent

SRC = Path(__file__).resolve().parents[2] / "src" / "ratepayer"
MODULES = ["staff/actions.py", "staff/approvals.py", "staff/limits.py", "rates/actions.py", "customers/actions.py",
           "ledger/actions.py", "billing/actions.py",
           *sorted(str(p.relative_to(SRC)) for p in (SRC / "metering" / "actions").glob("[!_]*.py")),
           # common.py holds the checks the payments actions share (tender, amount, repeat file), not actions
           *sorted(str(p.relative_to(SRC)) for p in (SRC / "payments" / "actions").glob("[!_]*.py")
                   if p.name != "common.py"),
           *sorted(str(p.relative_to(SRC)) for p in (SRC / "collections" / "actions").glob("[!_]*.py"))]

AUDITED: dict[str, set[str]] = {
    "collections/actions/arrangements.py:create_arrangement": {"ARRANGEMENT_CREATED"},
    "collections/actions/arrangements.py:cancel_arrangement": {"ARRANGEMENT_CANCELLED"},
    "collections/actions/arrangements.py:record_payments": {"ARRANGEMENT_ACTIVATED", "ARRANGEMENT_KEPT",
                                                            "ARRANGEMENT_BROKEN", "ARRANGEMENT_CANCELLED"},
    "collections/actions/contracts.py:create_contract": {"CONTRACT_CREATED"},
    "collections/actions/daily.py:run": {"COLLECTIONS_RUN"},
    "collections/actions/orders.py:schedule_order": {"SERVICE_ORDER_SCHEDULED"},
    "collections/actions/orders.py:complete_order": {"SERVICE_ORDER_COMPLETED"},
    "collections/actions/orders.py:cancel_order": {"SERVICE_ORDER_CANCELLED"},
    "collections/actions/orders.py:order_reconnect": {"SERVICE_ORDER_CREATED"},
    "collections/actions/policy.py:request_policy_change": {"COLLECTION_POLICY_REQUESTED", "APPROVAL_REQUESTED"},
    "collections/actions/contracts.py:prepay": {"CONTRACT_PREPAID"},
    "collections/actions/contracts.py:pay_off": {"CONTRACT_PAID_OFF"},
    "collections/actions/contracts.py:transfer_contract": {"CONTRACT_TRANSFERRED"},
    "staff/actions.py:create_staff_user": {"USER_CREATED"},
    "staff/actions.py:create_staff_user_with_temporary_password": {"USER_CREATED"},
    "staff/actions.py:set_staff_role": {"USER_ROLE_CHANGED"},
    "staff/actions.py:set_staff_active": {"USER_DEACTIVATED", "USER_REACTIVATED"},
    "staff/actions.py:reset_staff_password": {"USER_PASSWORD_RESET"},
    "staff/actions.py:record_login_failure": {"LOGIN_FAILED"},
    "staff/actions.py:create_api_token": {"API_TOKEN_CREATED"},
    "staff/actions.py:revoke_api_token": {"API_TOKEN_REVOKED"},
    "staff/approvals.py:request_approval": {"APPROVAL_REQUESTED"},
    "staff/approvals.py:approve": {"APPROVAL_APPROVED"},
    "staff/approvals.py:reject": {"APPROVAL_REJECTED"},
    "staff/approvals.py:cancel": {"APPROVAL_CANCELLED"},
    "staff/limits.py:set_limit": {"APPROVAL_LIMIT_SET"},
    "rates/actions.py:create_schedule": {"RATES_SCHEDULE_CREATED"},
    "rates/actions.py:draft_version": {"RATES_VERSION_DRAFTED"},
    "rates/actions.py:copy_version": {"RATES_VERSION_DRAFTED"},
    "rates/actions.py:update_draft": {"RATES_VERSION_CHANGED"},
    "rates/actions.py:submit_for_approval": {"RATES_VERSION_SUBMITTED", "APPROVAL_REQUESTED"},
    "rates/actions.py:approve_version": {"APPROVAL_APPROVED"},
    "rates/actions.py:reject_version": {"APPROVAL_REJECTED"},
    "rates/actions.py:load_example_schedules": {"RATES_EXAMPLES_LOADED"},
    "customers/actions.py:create_customer": {"CUSTOMER_CREATED"},
    "customers/actions.py:open_account": {"ACCOUNT_OPENED"},
    "customers/actions.py:add_contact": {"CONTACT_ADDED"},
    "customers/actions.py:update_customer": {"CUSTOMER_UPDATED"},
    "customers/actions.py:update_contact": {"CONTACT_UPDATED"},
    "customers/actions.py:remove_contact": {"CONTACT_REMOVED"},
    "customers/actions.py:change_mailing_address": {"ACCOUNT_UPDATED"},
    "customers/actions.py:change_bill_preferences": {"ACCOUNT_UPDATED"},
    "customers/actions.py:open_customer_account": {"CUSTOMER_CREATED", "ACCOUNT_OPENED"},
    "customers/actions.py:add_note": {"ACCOUNT_NOTE_ADDED"},
    "customers/actions.py:create_premise": {"PREMISE_CREATED"},
    "customers/actions.py:add_service_point": {"SERVICE_POINT_CREATED"},
    "customers/actions.py:install_new_meter": {"METER_INSTALLED"},
    "customers/actions.py:install_meter": {"METER_INSTALLED"},
    "customers/actions.py:remove_meter": {"METER_REMOVED"},
    "customers/actions.py:start_service": {"SERVICE_STARTED"},
    "customers/actions.py:stop_service": {"SERVICE_STOPPED"},
    "customers/actions.py:transfer_service": {"SERVICE_TRANSFERRED"},
    "customers/actions.py:close_account": {"ACCOUNT_CLOSED"},
    "customers/actions.py:reveal_pii": {"CUSTOMER_PII_VIEWED"},
    "customers/actions.py:record_account_view": {"ACCOUNT_VIEWED"},
    "billing/actions.py:request_adjustment": {"ADJUSTMENT_REQUESTED", "ADJUSTMENT_POSTED", "APPROVAL_REQUESTED"},
    "billing/actions.py:release_bill": {"BILL_RELEASED"},
    "billing/actions.py:correct_held_bill": {"BILL_CORRECTED"},
    "billing/actions.py:cancel_rebill": {"BILL_CANCEL_REBILL"},
    "billing/actions.py:issue_final_bill": {"BILL_FINAL"},
    "billing/actions.py:start_bill_run": {"BILLRUN_STARTED"},
    "billing/actions.py:request_documents": {"BILLRUN_DOCUMENTS_REQUESTED"},
    "billing/actions.py:set_billing_policy": {"BILLING_POLICY_SET"},
    "metering/actions/estimation.py:record_estimated_reads": {"READS_ESTIMATED"},
    "metering/actions/estimation.py:estimate_missing_reads": {"READS_ESTIMATED"},
    "metering/actions/estimation.py:usage_for_billing": {"READS_ESTIMATED"},
    "metering/actions/exceptions.py:work_exception": {"READ_EXCEPTION_ACCEPT", "READ_EXCEPTION_REREAD",
                                                      "READ_EXCEPTION_ESTIMATE", "READ_EXCEPTION_CORRECT"},
    "metering/actions/imports.py:import_route_file": {"READS_IMPORTED"},
    "metering/actions/imports.py:load_reads_bulk": {"READS_BULK_LOADED"},
    "metering/actions/intervals.py:import_intervals": {"INTERVALS_IMPORTED"},
    "metering/actions/meter_change.py:change_meter": {"METER_CHANGED"},
    "metering/actions/policy.py:set_read_policy": {"READ_POLICY_SET"},
    "metering/actions/reads.py:enter_read": {"READ_ENTERED"},
    "payments/actions/autopay.py:enroll_autopay": {"AUTOPAY_ENROLLED"},
    "payments/actions/autopay.py:stop_autopay": {"AUTOPAY_STOPPED"},
    "payments/actions/autopay.py:originate": {"AUTOPAY_FILE_CREATED"},
    "payments/actions/autopay.py:run_autopay": {"AUTOPAY_FILE_CREATED"},
    "payments/actions/autopay.py:import_ach_returns": {"AUTOPAY_CHANGED"},
    "payments/actions/core.py:open_drawer": {"DRAWER_OPENED"},
    "payments/actions/core.py:take_payment": {"PAYMENT_TAKEN"},
    "payments/actions/core.py:email_receipt": {"PAYMENT_RECEIPT_EMAILED"},
    "payments/actions/core.py:close_drawer": {"DRAWER_COUNTED"},
    "payments/actions/core.py:prepare_deposit": {"DEPOSIT_PREPARED"},
    "payments/actions/core.py:transfer_payment": {"PAYMENT_TRANSFERRED"},
    "payments/actions/core.py:return_payment": {"PAYMENT_RETURNED"},
    "payments/actions/core.py:resolve_returned_item": {"PAYMENT_RETURNED"},
    "payments/actions/core.py:apply_suspense": {"SUSPENSE_APPLIED"},
    "payments/actions/deposits.py:require_deposit": {"DEPOSIT_REQUIRED"},
    "payments/actions/deposits.py:receive_deposit": {"DEPOSIT_RECEIVED"},
    "payments/actions/deposits.py:set_interest_rate": {"DEPOSIT_INTEREST_RATE"},
    "payments/actions/deposits.py:release_deposit": {"DEPOSIT_RELEASED"},
    "payments/actions/files.py:import_lockbox": {"LOCKBOX_IMPORTED"},
    "payments/actions/files.py:import_bank_statement": {"BANK_IMPORTED"},
    "payments/actions/files.py:match_bank_line": {"BANK_MATCHED"},
    "payments/actions/files.py:resolve_bank_exception": {"BANK_EXCEPTION_CLEARED"},
    "payments/actions/phone.py:import_phone_payments": {"PHONE_IMPORTED"},
    "payments/actions/refunds.py:request_refund": {"REFUND_REQUESTED"},
    "payments/actions/refunds.py:submit": {"REFUND_REQUESTED"},
    "payments/actions/refunds.py:clear_refund": {"REFUND_CLEARED"},
    "payments/actions/refunds.py:move_uncashed_to_unclaimed": {"REFUND_UNCLAIMED"},
    "payments/actions/represent.py:queue_representment": {"ACH_REPRESENT_QUEUED"},
    "payments/actions/represent.py:cancel_representment": {"ACH_REPRESENT_CANCELLED"},
    "collections/actions/protections.py:enter_heat_alert": {"HEAT_ALERT_ENTERED"},
    "collections/actions/protections.py:change_heat_alert": {"HEAT_ALERT_CHANGED"},
    "collections/actions/protections.py:withdraw_heat_alert": {"HEAT_ALERT_WITHDRAWN"},
    "collections/actions/protections.py:import_heat_alerts": {"HEAT_ALERTS_IMPORTED"},
    "collections/actions/protections.py:set_premise_zone": {"PREMISE_ZONE_SET"},
    "collections/actions/protections.py:clear_premise_zone": {"PREMISE_ZONE_SET"},
    "collections/actions/protections.py:record_medical_notice": {"MEDICAL_CERTIFICATE_RECORDED"},
    "collections/actions/protections.py:certify_medical": {"MEDICAL_CERTIFICATE_CERTIFIED"},
    "collections/actions/protections.py:change_medical_certificate": {"MEDICAL_CERTIFICATE_CHANGED"},
    "collections/actions/protections.py:close_medical_certificate": {"MEDICAL_CERTIFICATE_CLOSED"},
    "collections/actions/protections.py:open_dispute": {"DISPUTE_OPENED"},
    "collections/actions/protections.py:change_dispute": {"DISPUTE_CHANGED"},
    "collections/actions/protections.py:close_dispute": {"DISPUTE_CLOSED"},
    "collections/actions/protections.py:request_winter_protection": {"WINTER_PROTECTION_REQUESTED"},
    "collections/actions/protections.py:change_winter_protection": {"WINTER_PROTECTION_CHANGED"},
    "collections/actions/protections.py:close_winter_protection": {"WINTER_PROTECTION_CLOSED"},
    "collections/actions/protections.py:register_landlord": {"LANDLORD_REGISTERED"},
    "collections/actions/protections.py:change_landlord": {"LANDLORD_CHANGED"},
    "collections/actions/protections.py:end_landlord": {"LANDLORD_ENDED"},
    "collections/actions/writeoffs.py:transfer_balance": {"BALANCE_TRANSFERRED"},
    "collections/actions/writeoffs.py:save_agency": {"AGENCY_SAVED"},
    "collections/actions/writeoffs.py:assign_to_agency": {"AGENCY_ASSIGNED"},
    "collections/actions/writeoffs.py:write_agency_file": {"AGENCY_FILE_WRITTEN"},
    "collections/actions/writeoffs.py:record_remittance": {"AGENCY_REMITTANCE_RECORDED", "WRITE_OFF_RECOVERED"},
    "collections/actions/writeoffs.py:close_assignment": {"AGENCY_ASSIGNMENT_CLOSED"},
    "collections/actions/writeoffs.py:request_write_off": {"WRITE_OFF_REQUESTED", "WRITE_OFF_POSTED",
                                                           "APPROVAL_REQUESTED"},
    "collections/actions/writeoffs.py:record_recoveries": {"WRITE_OFF_RECOVERED"},
    "collections/actions/writeoffs.py:reverse_recoveries": {"WRITE_OFF_RECOVERY_REVERSED"},
    "collections/actions/writeoffs.py:certify_lien": {"LIEN_CERTIFIED"},
    "collections/actions/writeoffs.py:release_lien": {"LIEN_RELEASED"},
}

READS = "reads or checks only, changes nothing"
HOOK = "registers a handler or hook at start-up"
PART = "a step inside an audited action (named), not called on its own by a person"
LEDGER = "the journal is its own record: append-only, balanced, with created_by and source"
NOT_AUDITED: dict[str, str] = {
    "collections/actions/arrangements.py:plan_arrangement": READS,
    "collections/actions/arrangements.py:account_balance": READS,
    "collections/actions/arrangements.py:policy_terms": READS,
    "collections/actions/contracts.py:outstanding": READS,
    "collections/actions/daily.py:candidate_account_ids": READS,
    "collections/actions/daily.py:build_facts": READS,
    "collections/actions/daily.py:register_facts_builder": HOOK,
    "collections/actions/daily.py:run_chunk": PART + " (run, COLLECTIONS_RUN)",
    "collections/actions/policy.py:policy_values": READS,
    "collections/actions/policy.py:clean_policy": READS,
    "collections/actions/policy.py:register_approval_handlers": HOOK,
    "collections/actions/contracts.py:payoff_quote": READS,
    "collections/actions/contracts.py:current_schedule": READS,
    "collections/actions/contracts.py:installment_lines": "billing's hook: the lines a bill run asks for (reads)",
    "collections/actions/contracts.py:installments_billed": "billing's hook: ties each installment to the bill "
                                                            "the bill run wrote (the bill is the record); a "
                                                            "contract completed writes CONTRACT_PAID_OFF",
    "staff/actions.py:ensure_roles": "start-up: creates the role groups (migrations, setup command)",
    "staff/actions.py:temporary_password": READS,
    "staff/actions.py:check_login_allowed": READS,
    "staff/actions.py:clear_login_failures": "forgets the failure counter after a good sign-in",
    "staff/actions.py:token_digest": READS,
    "staff/actions.py:authenticate_api_token": READS,
    "payments/actions/core.py:over_short_words": "wording: how a drawer's variance is said (short/over)",
    "staff/approvals.py:register": HOOK,
    "staff/approvals.py:register_refusals": HOOK,
    "staff/approvals.py:refusals": READS,
    "staff/approvals.py:capability_to_decide": READS,
    "staff/approvals.py:may_decide_kind": READS,
    "staff/approvals.py:needs_approval": READS,
    "staff/approvals.py:inbox_for": READS,
    "staff/limits.py:limits_in_force": READS,
    "staff/limits.py:limit_for": READS,
    "staff/limits.py:limit_for_role": READS,
    "rates/actions.py:register_approval_handlers": HOOK,
    "customers/actions.py:register_read_recorder": HOOK,
    "customers/actions.py:register_final_biller": HOOK,
    "customers/actions.py:clean_mailing_address": READS,
    "customers/actions.py:account_number_for": READS,
    "customers/actions.py:next_account_sequence": PART + " (open_account)",
    "customers/actions.py:reindex_accounts": "rebuilds the search index from the accounts (operator command)",
    "ledger/actions.py:post": LEDGER,
    "ledger/actions.py:post_entries": LEDGER,
    "ledger/actions.py:apply_balance_deltas": LEDGER,
    "ledger/actions.py:reversal_spec": READS,
    "ledger/actions.py:reverse": LEDGER,
    "billing/actions.py:register_approval_handlers": HOOK,
    "billing/actions.py:register_bill_handlers": HOOK,
    "billing/actions.py:register_customer_hooks": HOOK,
    "metering/actions/estimation.py:estimated_read": PART + " (record_estimated_reads, work_exception)",
    "metering/actions/imports.py:load_mapping": READS,
    "metering/actions/imports.py:parse_route_file": READS,
    "metering/actions/imports.py:problems_of": READS,
    "metering/actions/imports.py:claim_file": PART + " (import_route_file)",
    "metering/actions/intervals.py:load_intervals_bulk": "the demo builder's bulk load (demo.built is its record)",
    "metering/actions/reads.py:store_reads": PART + " (enter_read, import_route_file)",
    "payments/actions/autopay.py:originator": READS,
    "payments/actions/autopay.py:settle": "the nightly settlement posts to the journal (" + LEDGER + ")",
    "payments/actions/core.py:post_payments": PART + " (take_payment, the file imports)",
    "payments/actions/core.py:post_payment_rows": PART + " (the file imports)",
    "payments/actions/core.py:post_suspense": PART + " (the file imports)",
    "payments/actions/core.py:open_session_for": PART + " (take_payment)",
    "payments/actions/core.py:self_deposit": PART + " (import_lockbox, autopay settle)",
    "payments/actions/core.py:register_approval_handlers": HOOK,
    "payments/actions/core.py:balances_by_agreement": READS,
    "payments/actions/deposits.py:post_deposit_receipts": PART + " (receive_deposit, the file imports)",
    "payments/actions/deposits.py:accrue_interest": "a batch posting to the journal (" + LEDGER + ")",
    "payments/actions/deposits.py:review_deposits": READS,
    "payments/actions/refunds.py:validate_payee": READS,
    "payments/actions/refunds.py:register_approval_handlers": HOOK,
    "payments/actions/represent.py:queue_eligible": PART + " (autopay originate, under autopay.file_created)",
    "payments/actions/represent.py:retries_for_file": PART + " (autopay originate)",
    "payments/actions/represent.py:record_sent": PART + " (autopay originate)",
    "collections/actions/writeoffs.py:apply_deposit": "audited by payments' release_deposit (DEPOSIT_RELEASED), "
                                                      "which it calls",
    "collections/actions/writeoffs.py:statutory_fee_limit": READS,
    "collections/actions/writeoffs.py:agency_warning_served_on": READS,
    "collections/actions/writeoffs.py:lien_interest": READS,
    "collections/actions/writeoffs.py:lien_rates": READS,
    "collections/actions/writeoffs.py:register_approval_handlers": HOOK,
    "collections/actions/writeoffs.py:register_payment_hook": HOOK,
}


@cache
def _module_actions(path: str) -> dict[str, set[str]]:
    """Public function -> the AuditAction members its body, the module's functions it
    calls, and the staff approvals it goes through name."""
    tree = ast.parse((SRC / path).read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    approvals = _approvals() if path != "staff/approvals.py" else {}
    direct: dict[str, tuple[set[str], set[str]]] = {}
    for name, node in functions.items():
        members, calls = set(), set()
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
                if child.value.id == "AuditAction":
                    members.add(child.attr)
                elif child.value.id == "approvals" and child.attr in approvals:
                    members |= approvals[child.attr]
            elif isinstance(child, ast.Name) and child.id in functions:
                calls.add(child.id)
            elif isinstance(child, ast.Name) and child.id.isupper():  # a table of members (DECISION_ACTIONS)
                members |= _table_members(tree, child.id)
        direct[name] = (members, calls)

    def reached(name: str, seen: set[str]) -> set[str]:
        if name in seen:
            return set()
        seen.add(name)
        members, calls = direct[name]
        return members.union(*(reached(c, seen) for c in calls))

    return {name: reached(name, set()) for name in functions if not name.startswith("_")}


def _table_members(tree: ast.Module, name: str) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == name for t in node.targets):
            return {a.attr for a in ast.walk(node.value)
                    if isinstance(a, ast.Attribute) and getattr(a.value, "id", "") == "AuditAction"}
    return set()


def _approvals() -> dict[str, set[str]]:
    return _module_actions("staff/approvals.py")


@cache
def _public_actions() -> dict[str, set[str]]:
    return {f"{path}:{name}": members for path in MODULES for name, members in _module_actions(path).items()}


def test_every_public_action_is_classified():
    found = set(_public_actions())
    unlisted = sorted(found - AUDITED.keys() - NOT_AUDITED.keys())
    assert not unlisted, ("public functions of an actions module that are in neither AUDITED nor NOT_AUDITED "
                          f"(an action must write its audit row): {unlisted}")
    stale = sorted((AUDITED.keys() | NOT_AUDITED.keys()) - found)
    assert not stale, f"listed but no longer there: {stale}"
    assert not AUDITED.keys() & NOT_AUDITED.keys()


@pytest.mark.parametrize("action", sorted(AUDITED))
def test_each_audited_action_writes_its_rows(action):
    reached = _public_actions()[action]
    missing = sorted(AUDITED[action] - reached)
    assert not missing, f"{action} does not write {missing} (it writes {sorted(reached) or 'nothing'})"


def test_every_audit_action_is_written_somewhere():
    used = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used |= {n.attr for n in ast.walk(tree)
                 if isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "AuditAction"}
    unused = sorted(set(AuditAction.names) - used)
    assert not unused, f"AuditAction members nothing writes: {unused}"


def test_no_audit_action_is_a_free_string():
    """audit.record and the transition helper take a member of the enumeration, never a literal."""
    wrong = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            args = [node.args[0]] if name == "record" and getattr(func, "value", None) is not None \
                and getattr(func.value, "id", "") == "audit" and node.args else []
            args += [k.value for k in node.keywords if k.arg == "action" and name in {"_transition", "change_status"}]
            wrong += [f"{path.relative_to(SRC)}:{node.lineno}" for a in args
                      if isinstance(a, (ast.Constant, ast.JoinedStr, ast.BinOp))]
    assert not wrong, f"audit actions written as strings: {wrong}"


def test_record_refuses_an_action_outside_the_enumeration(db):
    with pytest.raises(ValueError):
        audit.record("adjustment.made_up")
    assert not AuditEvent.objects.exists()
    event = audit.record(AuditAction.ACCOUNT_VIEWED, summary="x")
    assert AuditEvent.objects.get(pk=event.pk).action == "account.viewed"
