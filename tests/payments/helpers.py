"""Builders for payments tests: a second account, lockbox and return files."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from ratepayer.customers import actions as customer_actions
from ratepayer.formats import lockbox, scanline
from ratepayer.kernel.money import to_cents


def second_account(user, utility, name="John Roe", line1="9 Elm St"):
    customer = customer_actions.create_customer(user=user, name=name,
                                                contacts=[{"name": name, "email": "john.roe@example.com",
                                                           "is_primary": True}])
    account = customer_actions.open_account(user=user, customer=customer, mailing_line1=line1,
                                            mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    premise = customer_actions.create_premise(user=user, line1=line1, city="Everett", zip="98201", services=["water"])
    water = customer_actions.start_service(user=user, account=account, service_point=premise.service_points.get(),
                                           rate_schedule=utility.water.rate_schedule, customer_class="residential",
                                           bill_cycle=utility.cycle, start_date=date(2024, 1, 2))
    return account, water


def stub(account_number: str, amount_due: str, due: date = date(2025, 3, 20), applied: str | None = None):
    line = scanline.build(account_number, Decimal(amount_due), due)
    return lockbox.Stub(line=0, account=account_number, amount_due=Decimal(amount_due),
                        amount_applied=Decimal(applied) if applied else None, scan_line=line)


def lockbox_file(checks, *, deposit_date=date(2025, 3, 4), box="0012345", per_batch: int = 500) -> bytes:
    """checks: [(amount, check_number, [stubs])]."""
    items = lockbox.items_from((Decimal(a), "021000021", "99887766", n, s) for a, n, s in checks)
    batches = [items[i:i + per_batch] for i in range(0, len(items), per_batch)] or [[]]
    return lockbox.write_fixed(destination="UTILITY", origin="BANK", created=datetime(2025, 3, 4, 6, 0),
                               lockbox=box, deposit_date=deposit_date, batches=batches).encode()


def _pad(records: list[str]) -> str:
    blocks = -(-(len(records)) // 10)
    records += ["9" * 94] * (blocks * 10 - len(records))
    return "\n".join(records) + "\n"


def return_file(returns, *, created=date(2025, 3, 10), noc: bool = False) -> bytes:
    """A NACHA return (or NOC) file from the RDFI: returns are
    (original_trace, code, routing, account, amount[, corrected_data])."""
    odfi_routing = "125000024"
    records = [f"101 {odfi_routing} 021000021{created:%y%m%d}0900A094101{'RATEPAYER UTILITY':<23}{'RDFI BANK':<23}{'':8}"]
    sec = "COR" if noc else "PPD"
    records.append(f"5225{'RATEPAYER UTIL':<16}{'':20}1910000001{sec}{'UTIL BILL':<10}{'':6}{created:%y%m%d}   1"
                   f"021000020000001")
    entry_hash = 0
    debit = 0
    count = 0
    for n, item in enumerate(returns, 1):
        trace, code, routing, account, amount = item[:5]
        cents = 0 if noc else to_cents(Decimal(amount))
        tx = "26"  # return or NOC of a checking debit (27)
        records.append(f"6{tx}{routing}{account:<17}{cents:010d}{'ACCT':<15}{'CUSTOMER':<22}  1"
                       f"02100002{n:07d}")
        if noc:
            corrected = item[5]
            records.append(f"798{code}{trace}{'':6}{trace[:8]}{corrected:<29}{'':15}02100002{n:07d}")
        else:
            records.append(f"799{code}{trace}{'':6}{trace[:8]}{'':44}02100002{n:07d}")
        entry_hash += int(routing[:8])
        debit += cents
        count += 2
    service = "225"
    records.append(f"8{service}{count:06d}{entry_hash % 10**10:010d}{debit:012d}{0:012d}1910000001{'':25}"
                   f"021000020000001")
    blocks = -(-(len(records) + 1) // 10)
    records.append(f"9000001{blocks:06d}{count:08d}{entry_hash % 10**10:010d}{debit:012d}{0:012d}{'':39}")
    return _pad(records).encode()


def bai2_file(as_of: date, details, *, account="123456789", file_id="0001") -> bytes:
    """A BAI2 statement with one account: details are (type code, amount, bank reference, text)."""
    body = [f"03,{account},USD,/"]
    total = 0
    for code, amount, reference, text in details:
        cents = to_cents(Decimal(amount))
        total += cents
        body.append(f"16,{code},{cents},Z,{reference},,{text}/")
    body.append(f"49,{total},{len(body) + 1}/")
    group = [f"02,UTILITY,BANKID,1,{as_of:%y%m%d},0600,USD,2/", *body]
    group.append(f"98,{total},1,{len(group) + 1}/")
    records = [f"01,BANKID,UTILITY,{as_of:%y%m%d},0600,{file_id},80,1,2/", *group]
    records.append(f"99,{total},1,{len(records) + 1}/")
    return ("\n".join(records) + "\n").encode()


def run_command(*args):
    """(exit code, stdout, stderr) of a management command."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()
