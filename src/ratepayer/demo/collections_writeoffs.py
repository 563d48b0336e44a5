"""The demo's closed accounts that still owe (issue 12): three customers who do
not pay move away after the history, their accounts closed through the real
path (final reads, final bill), then

- one waits at the agency step (advised, not yet assigned);
- one is at Northwest Credit Services, in a referral file, warned 35 days before;
- one has a write-off above the specialist's limit waiting for approval.

Everything goes through the actions a clerk uses, so the ledger, the audit trail
and the approvals inbox show it as they would show a real day.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.db.models import Count
from django.utils import timezone

from ratepayer.billing.errors import BillingError
from ratepayer.collections.actions import writeoffs
from ratepayer.collections.models import LongTermContract, Notice, PaymentArrangement
from ratepayer.customers.actions import close_account
from ratepayer.customers.errors import CustomerError
from ratepayer.customers.models import Account, MeterInstallation, ServiceAgreement
from ratepayer.ledger.models import ARBalance
from ratepayer.metering.models import RegisterRead
from ratepayer.payments.models import SecurityDeposit

from .plan import DemoBuild

WANTED = 3
MINIMUM_OWED = Decimal("120.00")  # above the specialist's 100.00 write-off limit


def _candidates(build: DemoBuild) -> list[Account]:
    """Residential, one-account customers owing the most, without a held deposit,
    an arrangement or a contract."""
    owed = {}
    for account_id, balance in ARBalance.objects.filter(account__status="active", account__is_key_account=False,
                                                        agreement__customer_class="residential").values_list(
            "account_id", "balance"):
        owed[account_id] = owed.get(account_id, Decimal("0.00")) + balance
    deposits = set(SecurityDeposit.objects.filter(status__in=("required", "held")).values_list("account_id",
                                                                                               flat=True))
    many = set(Account.objects.filter(status="active").values("customer_id").annotate(n=Count("pk"))
               .filter(n__gt=1).values_list("customer_id", flat=True))
    # accounts the other collections parts use (an arrangement, a contract) stay open
    taken = set(PaymentArrangement.objects.values_list("account_id", flat=True)) | set(
        LongTermContract.objects.values_list("account_id", flat=True))
    ids = [pk for pk, amount in sorted(owed.items(), key=lambda kv: (-kv[1], kv[0]))
           if amount >= MINIMUM_OWED and pk not in deposits and pk not in taken]
    accounts = Account.objects.in_bulk(ids[:50])
    return [accounts[pk] for pk in ids[:50] if accounts[pk].customer_id not in many][:WANTED]


def _final_reads(account: Account) -> tuple[dict[int, Decimal], object]:
    """Each metered service's last read again as its final read, and the move-out
    day: the day after the latest of those reads (no use in between)."""
    reads, last_day = {}, account.opened_on
    for agreement in ServiceAgreement.objects.filter(account=account, status="active"):
        installed = MeterInstallation.objects.filter(service_point_id=agreement.service_point_id,
                                                     removed_on__isnull=True).first()
        if installed is None:
            continue
        last = (RegisterRead.objects.filter(meter_id=installed.meter_id, status="valid")
                .order_by("-read_date", "-pk").values_list("read_date", "value").first())
        if last is None:
            continue
        last_day = max(last_day, last[0])
        reads[agreement.pk] = last[1]
    return reads, last_day + timedelta(days=1)


def create_closed_accounts(build: DemoBuild) -> None:
    if not build.months:
        return
    users = build.users
    # like the history, everything happens by yesterday: nothing is dated today
    today = build.today - timedelta(days=1)
    accounts = []
    for account in _candidates(build):
        reads, move_out = _final_reads(account)
        if move_out >= today:
            continue
        try:
            # the final bill is dated the day it is issued: the demo's yesterday
            with mock.patch.object(timezone, "localdate", lambda *args, **kwargs: today):
                close_account(user=users["specialist"], account=account, closed_on=move_out, final_reads=reads,
                              note="moved out of the area (demo)")
        except (CustomerError, BillingError):  # an account the final-bill path cannot close is left open
            continue
        accounts.append(account)
    if not accounts:
        return
    agency = writeoffs.save_agency(user=users["supervisor"], code="NWC", name="Northwest Credit Services",
                                   fee_percent="30.00", license_number="CAG-20417",
                                   contact="(509) 555-0148, referrals@nwcredit.example")
    build.counts["closed_with_balance"] = len(accounts)
    # at the agency step: advised 10 days ago, assignable from day 30
    if accounts:
        _warn(accounts[0], today - timedelta(days=10))
    # at the agency: warned 35 days ago, assigned today, in a referral file
    if len(accounts) > 1:
        _warn(accounts[1], today - timedelta(days=35))
        writeoffs.assign_to_agency(user=users["specialist"], account=accounts[1], agency=agency,
                                   advised_on=today - timedelta(days=35), on=today)
        writeoffs.write_agency_file(user=users["specialist"], agency=agency, on=today)
    # a write-off above the specialist's limit, waiting for another person's approval
    if len(accounts) > 2:
        writeoffs.request_write_off(user=users["specialist"], account=accounts[2], reason="uncollectible",
                                    memo="Moved out of state; final notice and two letters returned undelivered",
                                    on=today)


def _warn(account: Account, on) -> None:
    """The collection-agency warning (RCW 19.16.500) as the daily job records it."""
    owed = sum(ARBalance.objects.filter(account=account).values_list("balance", flat=True), Decimal("0.00"))
    Notice.objects.get_or_create(account=account, kind=Notice.Kind.AGENCY_WARNING, delinquency_due_on=on,
                                 defaults={"amount_past_due": owed, "amount_total": owed, "served_on": on,
                                           "pay_by": on + timedelta(days=30)})
