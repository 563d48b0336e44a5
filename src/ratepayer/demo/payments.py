"""How the demo's customers pay, month by month, through the real payment paths.

Each account gets a habit, drawn once in plan order:

- autopay (about 20%): enrolled in ACH autopay; each month the debit file is
  originated the business day before the bill is due (``originate``, a real
  NACHA file) and settled (``settle``); a couple of debits come back
  (R01/R03) in a NACHA return file (``import_ach_returns``);
- lockbox (most): a check with the bill's stub, on time or a few weeks late,
  sometimes for part of the bill; checks arrive in a BAI lockbox file per
  deposit day (``import_lockbox``), Tuesdays and Fridays;
- counter (at most 20 customers, Mondays and Thursdays): cash, check or card at
  the counter (``take_payment``) into a clerk's drawer that is closed and
  deposited the same day;
- a few pay more than the bill (credit balances, one refunded) and a few do not
  pay at all (arrears for the aging and collections screens).

Payments dated after today are not made (their bills are still open).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_UP, Decimal

from django.utils import timezone

from ratepayer.billing.models import Bill
from ratepayer.formats import lockbox, scanline
from ratepayer.kernel.money import to_cents
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.ledger.models import ARBalance
from ratepayer.payments import actions as pay
from ratepayer.payments.calculations import CASH_DENOMINATIONS
from ratepayer.payments.models import AchEntry, AutopayEnrollment, Payment

from .builder import DemoBuild

HABITS = (("autopay", 20), ("on_time", 44), ("late", 12), ("partial", 6), ("counter", 10), ("overpays", 3),
          ("never", 5))
# clerks and their drawers cost a few queries per payment: at most this many counter customers
COUNTER_CUSTOMERS = 20
LOCKBOX_DAYS = (1, 4)  # the bank sends the lockbox file Tuesdays and Fridays
COUNTER_DAYS = (0, 3)  # counter customers come in on Mondays and Thursdays
BANK_ROUTING = ("021000021", "026009593", "125000024", "325081403", "123000848")
CENT = Decimal("0.01")


def habits(build: DemoBuild) -> dict[int, str]:
    """Account id -> how it pays (drawn once, in plan order)."""
    if "habits" in build.extra:
        return build.extra["habits"]
    rng = build.rng
    names = [h for h, _ in HABITS]
    weights = [w for _, w in HABITS]
    out: dict[int, str] = {}
    counter = 0
    for account in build.plan.accounts:
        habit = rng.choices(names, weights)[0]
        if habit == "never" and (account.is_key_account or account.customer_class != "residential"):
            habit = "on_time"  # key and large accounts pay; arrears are residential here
        if habit == "counter":
            counter += 1
            if counter > COUNTER_CUSTOMERS:
                habit = "on_time"
        out[account.pk] = habit
    build.extra["habits"] = out
    return out


def enroll_autopay(build: DemoBuild) -> None:
    """Enrollments authorized before the conversion, prenotes long cleared
    (one row each, like ``payments.actions.enroll_autopay`` without its prenote)."""
    rng = build.rng
    plan = build.plan
    names = {a.pk: plan.customers[a.customer].name for a in plan.accounts}
    enrollments = []
    for account_id, habit in habits(build).items():
        if habit != "autopay":
            continue
        number = f"{rng.randint(10**7, 10**12)}"
        enrollments.append(AutopayEnrollment(
            account_id=account_id, holder_name=names[account_id].upper()[:22], routing_number=rng.choice(BANK_ROUTING),
            bank_account_number=number, bank_account_last4=number[-4:], account_type="checking",
            draft_day=rng.randint(1, 28), start_date=build.conversion_date,
            authorized_on=build.conversion_date - timedelta(days=rng.randint(30, 2000)),
            authorization="signed autopay form (converted from the previous system)",
            status=AutopayEnrollment.Status.ACTIVE, live_from=build.conversion_date, prenote_entry="converted",
            created_by=build.users["specialist"]))
    AutopayEnrollment.objects.bulk_create(enrollments, batch_size=2000)
    build.counts["autopay_enrollments"] = len(enrollments)


class Payer:
    """The payments of one month's bills, by path."""

    def __init__(self, build: DemoBuild) -> None:
        self.build = build
        self.rng = build.rng
        self.calendar = BusinessCalendar()
        self.today = timezone.localdate()
        self.habits = habits(build)
        self.numbers = {a.pk: a.number for a in build.plan.accounts}
        self.check_number = 1000
        self.counts: dict[str, int] = defaultdict(int)
        self.returned = 0
        self.lockbox_items: dict[date, list[tuple[int, Decimal, Decimal, date]]] = defaultdict(list)
        self.counter: dict[date, list[tuple[int, Decimal]]] = defaultdict(list)

    def pay_bills(self, bills: list[tuple[int, int, Decimal, Decimal, date, date]], *,
                  complete_before: date | None, first: bool = False) -> None:
        """bills: (bill id, account id, amount due, current charges, bill date, due date)
        issued this month. Customers pay the month's charges (the first month:
        the whole amount due, which carries the converted balance): a check
        mailed for the last bill may arrive after this one was printed, so
        paying the amount due would pay the last bill twice. Lockbox files and
        drawers are made for the days before ``complete_before`` (no later
        bill can be paid on them; None: every day); the others wait."""
        rng = self.rng
        lockbox_items, counter = self.lockbox_items, self.counter
        autopay_due: set[date] = set()
        for _bill_id, account_id, amount_due, charges, bill_date, due in bills:
            habit = self.habits.get(account_id, "on_time")
            if habit == "autopay":
                autopay_due.add(due)
                continue
            owed = min(amount_due, charges) if not first else amount_due
            if owed <= 0 or habit == "never" or (habit == "late" and rng.random() < 0.25):
                continue
            amount = owed
            mailed = due - timedelta(days=rng.randint(1, 12))
            if habit == "late":
                mailed = due + timedelta(days=rng.randint(8, 35))
            elif habit == "partial":
                amount = (owed * Decimal(rng.uniform(0.3, 0.8))).quantize(CENT)
            elif habit == "overpays":
                amount = (owed / 50).to_integral_value(ROUND_UP) * 50 + (50 if first else 0)
            mailed = max(mailed, bill_date + timedelta(days=3))
            if habit == "counter":
                day = self._business_day_among(mailed, COUNTER_DAYS)
                if day < self.today:
                    counter[day].append((account_id, amount))
                continue
            deposit = self._lockbox_day(mailed + timedelta(days=2))
            if deposit < self.today and amount > 0:
                lockbox_items[deposit].append((account_id, amount, amount_due, due))
        for day in sorted(d for d in lockbox_items if complete_before is None or d < complete_before):
            self._lockbox(day, lockbox_items.pop(day))
        for day in sorted(d for d in counter if complete_before is None or d < complete_before):
            self._counter(day, counter.pop(day))
        for due in sorted(autopay_due):
            self._autopay(due)

    def _lockbox_day(self, day: date) -> date:
        return self._business_day_among(day, LOCKBOX_DAYS)

    def _business_day_among(self, day: date, weekdays: tuple[int, ...]) -> date:
        day = self.calendar.next_business_day_on_or_after(day)
        while day.weekday() not in weekdays:
            day = self.calendar.next_business_day_on_or_after(day + timedelta(days=1))
        return day

    def _lockbox(self, day: date, items: list[tuple[int, Decimal, Decimal, date]]) -> None:
        checks = []
        for account_id, amount, amount_due, due in items:
            number = self.numbers[account_id]
            self.check_number += 1
            stub = lockbox.Stub(line=0, account=number, amount_due=amount_due, amount_applied=None,
                                scan_line=scanline.build(number, amount_due, due))
            checks.append((amount, self.rng.choice(BANK_ROUTING), f"{self.rng.randint(10**6, 10**9)}",
                           str(self.check_number), [stub]))
        items_ = lockbox.items_from(checks)
        content = lockbox.write_fixed(destination="SNOPUDDEMO", origin="BANKLOCKBX",
                                      created=datetime(day.year, day.month, day.day, 6, 0), lockbox="0070421",
                                      deposit_date=day,
                                      batches=[items_[i:i + 300] for i in range(0, len(items_), 300)]).encode()
        pay.import_lockbox(user=self.build.users["specialist"], content=content, name=f"lockbox-{day:%Y%m%d}.txt")
        self.counts["lockbox_files"] += 1
        self.counts["lockbox_payments"] += len(items)

    def _counter(self, day: date, items: list[tuple[int, Decimal]]) -> None:
        clerk = self.build.users["assistant" if day.toordinal() % 2 else "specialist"]
        session = pay.open_drawer(user=clerk, business_date=day, opening_float="100.00")
        cash = Decimal("100.00")
        checks: list[Decimal] = []
        for account_id, amount in items:
            account = self.build.extra["accounts"][account_id]
            roll = self.rng.random()
            self.check_number += 1
            if roll < 0.45:
                tendered = (amount / 20).to_integral_value(ROUND_UP) * 20
                pay.take_payment(user=clerk, session=session, account=account, tender=Payment.Tender.CASH,
                                 amount=amount, tendered=tendered, token=f"demo-{session.pk}-{account_id}")
                cash += amount
            elif roll < 0.75:
                pay.take_payment(user=clerk, session=session, account=account, tender=Payment.Tender.CHECK,
                                 amount=amount, check_number=str(self.check_number),
                                 check_routing=self.rng.choice(BANK_ROUTING), payer_name=account.customer.name,
                                 token=f"demo-{session.pk}-{account_id}")
                checks.append(amount)
            else:
                pay.take_payment(user=clerk, session=session, account=account, tender=Payment.Tender.CARD,
                                 amount=amount, card_brand="Visa" if roll < 0.9 else "Mastercard",
                                 card_last4=f"{self.rng.randint(0, 9999):04d}", payer_name=account.customer.name,
                                 processor_reference=f"AUTH{day:%y%m%d}K{self.check_number}",  # never 13+ digits in a row
                                 token=f"demo-{session.pk}-{account_id}")
        pay.close_drawer(user=clerk, session=session, cash_count=_denominations(cash), check_amounts=checks)
        session.refresh_from_db()
        pay.prepare_deposit(user=self.build.users["senior"], sessions=[session], business_date=day)
        self.counts["drawer_sessions"] += 1
        self.counts["counter_payments"] += len(items)

    def _autopay(self, due: date) -> None:
        """The debit file the business day before the due date, settled the next business day."""
        on = due - timedelta(days=1)
        while not self.calendar.is_business_day(on):
            on -= timedelta(days=1)
        if on >= self.today:
            return
        sent = pay.originate(on=on, user=self.build.users["specialist"])
        if sent is None:
            return  # already in an earlier file (two due dates in one window)
        self.counts["ach_files"] += 1
        settle_on = self.calendar.add_business_days(on, 1)
        if settle_on < self.today:
            pay.settle(on=settle_on, user=self.build.users["specialist"])

    def return_some(self, code: str, n: int) -> None:
        """Returns (insufficient funds, no account) of the latest settled debits, in a NACHA return file."""
        entries = list(AchEntry.objects.filter(status=AchEntry.Status.SETTLED, is_prenote=False)
                       .order_by("-settlement_date", "pk").values_list("trace_number", "amount",
                                                                      "enrollment__routing_number",
                                                                      "settlement_date")[:n])
        if not entries:
            return
        received = self.calendar.add_business_days(entries[0][3], 2)
        content = return_file([(trace, code, routing, amount) for trace, amount, routing, _ in entries],
                              created=received)
        pay.import_ach_returns(user=self.build.users["specialist"], content=content,
                               name=f"returns-{received:%Y%m%d}-{code}.ach")
        self.returned += len(entries)


def _denominations(amount: Decimal) -> dict[str, int]:
    """Cash as counted: the fewest notes and coins that make the amount."""
    out: dict[str, int] = {}
    left = amount
    for denomination in CASH_DENOMINATIONS:
        value = Decimal(denomination)
        count = int(left // value)
        if count:
            out[denomination] = count
            left -= value * count
    return out


def return_file(returns, *, created: date) -> bytes:
    """A NACHA return file from the customers' banks (RDFI): returns are
    (original trace, return code, routing, amount)."""
    records = [f"101 125000024 021000021{created:%y%m%d}0900A094101{'SNOPUD DEMO UTILITY':<23}{'RDFI BANK':<23}"
               f"{'':8}"]
    records.append(f"5225{'SNOPUD DEMO':<16}{'':20}1910000001PPD{'UTIL BILL':<10}{'':6}{created:%y%m%d}   1"
                   f"021000020000001")
    entry_hash = debit = count = 0
    for n, (trace, code, routing, amount) in enumerate(returns, 1):
        cents = to_cents(Decimal(amount))
        records.append(f"626{routing}{'ACCT':<17}{cents:010d}{'ACCT':<15}{'CUSTOMER':<22}  102100002{n:07d}")
        records.append(f"799{code}{trace}{'':6}{trace[:8]}{'':44}02100002{n:07d}")
        entry_hash += int(routing[:8])
        debit += cents
        count += 2
    records.append(f"8225{count:06d}{entry_hash % 10**10:010d}{debit:012d}{0:012d}1910000001{'':25}021000020000001")
    blocks = -(-(len(records) + 1) // 10)
    records.append(f"9000001{blocks:06d}{count:08d}{entry_hash % 10**10:010d}{debit:012d}{0:012d}{'':39}")
    records += ["9" * 94] * (-(-len(records) // 10) * 10 - len(records))
    return ("\n".join(records) + "\n").encode()


def issued_bills(run_ids: list[int]) -> list[tuple[int, int, Decimal, Decimal, date, date]]:
    return list(Bill.objects.filter(run_id__in=run_ids, status=Bill.Status.ISSUED).order_by("pk")
                .values_list("pk", "account_id", "amount_due", "current_charges", "bill_date", "due_date"))


def refund_credits(build: DemoBuild) -> int:
    """Refund the two largest credit balances by check: the largest requested
    by the specialist (above their refund limit it waits in the supervisor's
    approvals), the next by the supervisor (within their limit: issued)."""
    from ratepayer.customers.models import ServiceAgreement

    rows = list(ARBalance.objects.filter(balance__lte=Decimal("-1.00"), agreement__isnull=False).order_by("balance")
                .values_list("agreement_id", "balance")[:2])
    made = 0
    for (agreement_id, balance), who in zip(rows, ("specialist", "supervisor"), strict=False):
        agreement = ServiceAgreement.objects.select_related("account__customer").get(pk=agreement_id)
        account = agreement.account
        pay.request_refund(user=build.users[who], agreement=agreement, amount=(-balance).quantize(CENT),
                           method="check", payee=account.customer.name,
                           payee_address=f"{account.mailing_line1}\n{account.mailing_city}, WA {account.mailing_zip}",
                           reason="overpayment: credit balance refunded at the customer's request")
        made += 1
    return made
