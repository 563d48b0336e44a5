"""How the demo's customers pay, day by day, through the real payment paths.

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

Each payment is made on its own day (``Payer.work_day``), after the bill runs
of that day and never before: nothing is back-dated. The deposits of a
business day come back on the bank's BAI2 statement the next morning
(``import_bank_statement``), so every deposit ties to a bank line.
Payments due today or later are not made (their bills are still open).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_UP, Decimal

from ratepayer.billing.models import Bill
from ratepayer.formats import lockbox, scanline
from ratepayer.kernel.money import to_cents
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.ledger.models import ARBalance
from ratepayer.payments import actions as pay
from ratepayer.payments.calculations import CASH_DENOMINATIONS
from ratepayer.payments.models import AchEntry, AutopayEnrollment, Deposit, Payment

from .plan import DemoBuild

HABITS = (("autopay", 20), ("on_time", 44), ("late", 12), ("partial", 6), ("counter", 10), ("overpays", 3),
          ("never", 5))
# clerks and their drawers cost a few queries per payment: at most this many counter customers
COUNTER_CUSTOMERS = 20
LOCKBOX_DAYS = (1, 4)  # the bank sends the lockbox file Tuesdays and Fridays
COUNTER_DAYS = (0, 3)  # counter customers come in on Mondays and Thursdays
# a debit returned for insufficient funds, one for a closed bank account: month after the conversion -> code
RETURNS = {2: "R01", 3: "R02"}
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
    """The customers' payments and the bank's files, day by day.

    ``schedule`` is called with the bills of a run on their bill date: each
    customer decides then when (and how much) to pay, and the payment is put
    on the agenda of the day it reaches the utility (a lockbox deposit day, a
    counter day, the ACH file the business day before the due date).
    ``work_day`` does one day's agenda; nothing is posted before its day."""

    def __init__(self, build: DemoBuild) -> None:
        self.build = build
        self.rng = build.rng
        self.calendar = BusinessCalendar()
        self.today = build.today
        self.habits = habits(build)
        self.numbers = {a.pk: a.number for a in build.plan.accounts}
        self.check_number = 1000
        self.counts: dict[str, int] = defaultdict(int)
        self.lockbox_items: dict[date, list[tuple[int, Decimal, Decimal, date]]] = defaultdict(list)
        self.counter: dict[date, list[tuple[int, Decimal]]] = defaultdict(list)
        self.originate_on: set[date] = set()
        self.settle_on: set[date] = set()
        self.returns_on: dict[date, str] = {}
        self.returns_left = dict(RETURNS)
        self.paid_before: set[int] = set()
        self.statement_days: list[date] = []
        # the last lockbox file before today carries a check the bank could not match to an account
        self.suspense_day = self._lockbox_day(self.today - timedelta(days=8))

    def schedule(self, bills: list[tuple[int, int, Decimal, Decimal, date, date]]) -> None:
        """bills: (bill id, account id, amount due, current charges, bill date,
        due date), issued today. Customers pay the bill's charges (the first
        bill: the whole amount due, which carries the converted balance): a
        check mailed for the last bill may arrive after this one was printed,
        so paying the amount due would pay the last bill twice."""
        rng = self.rng
        for _bill_id, account_id, amount_due, charges, bill_date, due in bills:
            habit = self.habits.get(account_id, "on_time")
            first = account_id not in self.paid_before
            self.paid_before.add(account_id)
            if habit == "autopay":
                on = due - timedelta(days=1)
                while not self.calendar.is_business_day(on):
                    on -= timedelta(days=1)
                self.originate_on.add(max(on, bill_date + timedelta(days=1)))
                continue
            owed = amount_due if first else min(amount_due, charges)
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
                self.counter[self._business_day_among(mailed, COUNTER_DAYS)].append((account_id, amount))
            elif amount > 0:
                self.lockbox_items[self._lockbox_day(mailed + timedelta(days=2))].append(
                    (account_id, amount, amount_due, due))

    def work_day(self, day: date) -> None:
        """The day's lockbox file, counter drawer, ACH file, settlement and
        returns, in that order; its deposits go on the next bank statement."""
        if day in self.lockbox_items or day == self.suspense_day:
            self._lockbox(day, self.lockbox_items.pop(day, []))
        if day in self.counter:
            self._counter(day, self.counter.pop(day))
        if day in self.settle_on:
            self.settle_on.discard(day)
            pay.settle(on=day, user=self.build.users["specialist"])
            self._plan_return(day)
        if day in self.returns_on:
            self._return(day, self.returns_on.pop(day))
        if day in self.originate_on:
            self.originate_on.discard(day)
            sent = pay.originate(on=day, user=self.build.users["specialist"])
            if sent is not None:  # None: every debit due was in an earlier file
                self.counts["ach_files"] += 1
                self.settle_on.add(self.calendar.add_business_days(day, 1))
        if self.calendar.is_business_day(day):
            self.statement_days.append(day)

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
        if day == self.suspense_day:
            # a check with a stub the bank keyed wrong: the clerk finds its account in the suspense queue
            self.check_number += 1
            stub = lockbox.Stub(line=0, account="9999999999", amount_due=Decimal("84.20"), amount_applied=None,
                                scan_line="")
            checks.append((Decimal("84.20"), BANK_ROUTING[0], "4410028", str(self.check_number), [stub]))
            self.counts["lockbox_suspense"] += 1
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

    def open_counter(self, day: date) -> None:
        """This morning: the assistant has opened a drawer for the day."""
        if self.calendar.is_business_day(day):
            pay.open_drawer(user=self.build.users["assistant"], business_date=day, opening_float="100.00")
            self.counts["drawers_open"] += 1

    def _plan_return(self, settled_on: date) -> None:
        """A debit of the first settlement in the return's month comes back two business days later."""
        month = (settled_on.year - self.build.conversion_date.year) * 12 + settled_on.month \
            - self.build.conversion_date.month
        code = self.returns_left.pop(month, None)
        if code is not None:
            received = self.calendar.add_business_days(settled_on, 2)
            if received < self.today:
                self.returns_on[received] = code

    def _return(self, received: date, code: str) -> None:
        """A NACHA return file from the customer's bank: the latest settled debit, returned with ``code``."""
        entries = list(AchEntry.objects.filter(status=AchEntry.Status.SETTLED, is_prenote=False,
                                               settlement_date__lt=received)
                       .order_by("-settlement_date", "pk").values_list("trace_number", "amount",
                                                                      "enrollment__routing_number")[:1])
        if not entries:
            return
        content = return_file([(trace, code, routing, amount) for trace, amount, routing in entries], created=received)
        pay.import_ach_returns(user=self.build.users["specialist"], content=content,
                               name=f"returns-{received:%Y%m%d}-{code}.ach")
        self.counts["ach_returns"] += len(entries)

    def import_statement(self, *, before: date) -> None:
        """The bank's prior-day statements (BAI2) for the business days before
        ``before``, through the real import: every deposit ties to its bank line."""
        days, self.statement_days = self.statement_days, []
        for day in days:
            if day >= before:
                self.statement_days.append(day)
                continue
            deposits = list(Deposit.objects.filter(business_date=day, bank_line__isnull=True).order_by("pk")
                            .values_list("kind", "amount", "slip_number"))
            if not deposits:
                continue
            content = bai2_statement(day, deposits)
            pay.import_bank_statement(user=self.build.users["specialist"], content=content,
                                      name=f"bai2-{day:%Y%m%d}.txt")
            self.counts["bank_statements"] += 1


# How the bank reports each kind of deposit on its statement (BAI2 type codes).
BAI2_TYPE = {Deposit.Kind.COUNTER: "301", Deposit.Kind.LOCKBOX: "115", Deposit.Kind.ACH: "165",
             Deposit.Kind.CARD: "147"}


def bai2_statement(day: date, deposits: list[tuple[str, Decimal, str]]) -> bytes:
    """The bank's prior-day BAI2 statement of the utility's deposit account:
    one credit per deposit (kind, amount, slip number), with its control totals."""
    body = ["03,4471002035,USD,/"]
    total = 0
    for n, (kind, amount, slip) in enumerate(deposits, 1):
        cents = to_cents(Decimal(amount))
        total += cents
        body.append(f"16,{BAI2_TYPE[kind]},{cents},Z,{day:%y%m%d}{n:05d},{slip},DEPOSIT {slip}/")
    body.append(f"49,{total},{len(body) + 1}/")
    group = [f"02,SNOPUDDEMO,121000248,1,{day:%y%m%d},2359,USD,2/", *body]
    group.append(f"98,{total},1,{len(group) + 1}/")
    records = [f"01,121000248,SNOPUDDEMO,{day:%y%m%d},0600,{day:%y%m%d}1,80,1,2/", *group]
    records.append(f"99,{total},1,{len(records) + 1}/")
    return ("\n".join(records) + "\n").encode()


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


BILL_FIELDS = ("pk", "account_id", "amount_due", "current_charges", "bill_date", "due_date")


def issued_bills(*, run_ids: list[int]) -> list[tuple[int, int, Decimal, Decimal, date, date]]:
    return list(Bill.objects.filter(run_id__in=run_ids, status=Bill.Status.ISSUED).order_by("pk")
                .values_list(*BILL_FIELDS))


def bills_by_id(ids: list[int]) -> list[tuple[int, int, Decimal, Decimal, date, date]]:
    return list(Bill.objects.filter(pk__in=ids).order_by("pk").values_list(*BILL_FIELDS))


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
