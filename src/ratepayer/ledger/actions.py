"""Posting to the general ledger.

Design (DESIGN §6):
- Every money event is one balanced journal entry written by `post` (or
  `post_entries` for batches: a bill run chunk, a lockbox file). Lines carry a
  non-negative debit or credit, never both; debits equal credits. Python
  checks this always. On PostgreSQL the database checks it again after each
  INSERT of journal lines: the statement's lines of each entry must number two
  or more and balance (a statement-level trigger over the statement's rows;
  migrations 0003 and 0005 say why not a deferred row trigger). So an entry's
  lines are written in one statement, and no code path can commit an
  unbalanced entry. The keys of a line are checked per statement as well
  (``ratepayer.db.references``).
- GL accounts come from the posting-rule table (event × service × class),
  never from constants in code; `PostingRules` loads the table once per batch.
- Lines on the receivable control account (142) carry the customer account and
  service agreement: the AR subledger. Their cached balances (ARBalance) move
  in the same transaction, by a set-based `balance = balance + delta` UPDATE
  on rows locked in primary-key order, so concurrent posters neither lose nor
  double an amount.
- Batches are written with `ratepayer.db.bulk.insert_rows` (COPY on PostgreSQL,
  one prepared statement on SQLite): a fixed number of statements per batch.
- Journal rows are append-only (triggers on both databases). A correction is
  `reverse(entry)`: a new entry with every line's sides swapped, linked to the
  original by a one-to-one key, so an entry can be reversed only once.
- An idempotency key (file hash + item, bill id, ...) makes a repeated posting a
  no-op that returns the existing entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ratepayer.db.bulk import insert_rows
from ratepayer.kernel.money import CENT, to_cents, to_decimal

from .errors import LedgerError, MissingPostingRule, UnbalancedEntry
from .models import ARBalance, GLAccount, JournalEntry, JournalLine, PostingRule

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Line:
    gl_account: str  # GL account number
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    account_id: int | None = None
    agreement_id: int | None = None
    memo: str = ""


@dataclass
class EntrySpec:
    event: str
    effective_date: date
    description: str
    lines: Sequence[Line]
    source_type: str = ""
    source_id: int | None = None
    idempotency_key: str | None = None
    reverses_id: int | None = None
    extra: dict = field(default_factory=dict)


class PostingRules:
    """The posting-rule table in memory: one query, then lookups."""

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._resolved: dict[tuple[str, str, str], tuple[str, str]] = {}
        for rule in PostingRule.objects.select_related("debit_account", "credit_account"):
            self._rules[(rule.event, rule.service, rule.customer_class)] = (
                rule.debit_account.number,
                rule.credit_account.number,
            )

    def accounts(self, event: str, service: str = "", customer_class: str = "") -> tuple[str, str]:
        """(debit GL, credit GL) for the most specific matching rule."""
        asked = (event, service, customer_class)
        if asked in self._resolved:  # a batch asks the same few questions thousands of times
            return self._resolved[asked]
        for key in (asked, (event, service, ""), (event, "", customer_class), (event, "", "")):
            if key in self._rules:
                self._resolved[asked] = self._rules[key]
                return self._rules[key]
        raise MissingPostingRule(
            f"No posting rule for event {event!r}, service {service or 'any'}, class {customer_class or 'any'}. "
            "A supervisor adds it under Ledger › Posting rules."
        )


def _validate(spec: EntrySpec, gl: dict[str, GLAccount]) -> None:
    if len(spec.lines) < 2:
        raise UnbalancedEntry(f"{spec.description}: an entry needs at least two lines")
    debits = credits = ZERO
    for i, line in enumerate(spec.lines, 1):
        debit, credit = to_decimal(line.debit), to_decimal(line.credit)
        if debit < 0 or credit < 0:
            raise UnbalancedEntry(f"{spec.description}: line {i} has a negative amount")
        if (debit > 0) == (credit > 0):
            raise UnbalancedEntry(f"{spec.description}: line {i} must have a debit or a credit, not both or neither")
        if debit.quantize(CENT) != debit or credit.quantize(CENT) != credit:
            raise UnbalancedEntry(f"{spec.description}: line {i} has fractions of a cent")
        account = gl.get(line.gl_account)
        if account is None:
            raise LedgerError(f"{spec.description}: line {i}: GL account {line.gl_account} does not exist")
        if account.is_receivable_control and (line.agreement_id is None or line.account_id is None):
            raise LedgerError(
                f"{spec.description}: line {i} is on receivable account {account.number} "
                "and must name the customer account and service agreement")
        debits += debit
        credits += credit
    if debits != credits:
        raise UnbalancedEntry(f"{spec.description}: debits {debits} ≠ credits {credits}")


def _gl_accounts(numbers: Iterable[str]) -> dict[str, GLAccount]:
    return {a.number: a for a in GLAccount.objects.filter(number__in=set(numbers))}


def post(*, event: str, effective_date: date, description: str, lines: Sequence[Line], source=None,
         source_type: str = "", source_id: int | None = None, idempotency_key: str | None = None,
         created_by=None, reverses: JournalEntry | None = None) -> JournalEntry:
    """Post one balanced entry (idempotent by key). Returns the entry."""
    if source is not None:
        source_type = source_type or source._meta.label_lower
        source_id = source_id or source.pk
    spec = EntrySpec(event=event, effective_date=effective_date, description=description, lines=lines,
                     source_type=source_type, source_id=source_id, idempotency_key=idempotency_key,
                     reverses_id=reverses.pk if reverses else None)
    return post_entries([spec], created_by=created_by)[0]


def post_entries(specs: Sequence[EntrySpec], *, created_by=None, ids_only: bool = False) -> list:
    """Post many entries in one transaction with a fixed number of queries.

    Entries whose idempotency key was already posted are skipped and the
    existing entry is returned in their place. With ``ids_only`` the entries'
    ids are returned instead (a batch path saves building the objects).
    """
    if not specs:
        return []
    gl = _gl_accounts(line.gl_account for spec in specs for line in spec.lines)
    for spec in specs:
        _validate(spec, gl)
    keys = [s.idempotency_key for s in specs if s.idempotency_key]
    if len(keys) != len(set(keys)):
        raise LedgerError("the same idempotency key appears twice in one batch")
    with transaction.atomic():
        existing = {e.idempotency_key: e for e in JournalEntry.objects.filter(idempotency_key__among=keys)} if keys else {}
        new_specs = [s for s in specs if not (s.idempotency_key and s.idempotency_key in existing)]
        now = timezone.now()
        created_by_id = created_by.pk if created_by is not None else None
        entry_rows = [(s.event, s.effective_date, s.description[:300], s.source_type, s.source_id, s.idempotency_key,
                       s.reverses_id, created_by_id, now) for s in new_specs]
        try:
            with transaction.atomic():
                entry_ids = insert_rows(JournalEntry, ENTRY_COLUMNS, entry_rows)
        except IntegrityError as exc:
            raise LedgerError("posting refused: the same entry was already posted (or the entry it reverses was "
                              "already reversed) by another session; nothing was posted again") from exc
        line_rows: list[tuple] = []
        deltas: dict[int, Decimal] = defaultdict(Decimal)
        agreement_accounts: dict[int, int] = {}
        gl_ids = {number: account.pk for number, account in gl.items()}
        receivable = {number for number, account in gl.items() if account.is_receivable_control}
        for entry_id, spec in zip(entry_ids, new_specs, strict=True):
            for line in spec.lines:
                debit, credit = to_decimal(line.debit), to_decimal(line.credit)
                line_rows.append((entry_id, gl_ids[line.gl_account], debit, credit, line.account_id,
                                  line.agreement_id, line.memo[:200]))
                if line.gl_account in receivable:
                    deltas[line.agreement_id] += debit - credit
                    agreement_accounts[line.agreement_id] = line.account_id
        # all lines in ONE statement: PostgreSQL's statement-level balance trigger sees whole entries
        insert_rows(JournalLine, LINE_COLUMNS, line_rows, return_ids=False)
        apply_balance_deltas(deltas, agreement_accounts)
    if ids_only:
        new_ids = iter(entry_ids)
        return [existing[s.idempotency_key].pk if s.idempotency_key in existing else next(new_ids) for s in specs]
    created = [JournalEntry(pk=pk, event=s.event, effective_date=s.effective_date, description=s.description[:300],
                            source_type=s.source_type, source_id=s.source_id, idempotency_key=s.idempotency_key,
                            reverses_id=s.reverses_id, created_by_id=created_by_id, posted_at=now)
               for pk, s in zip(entry_ids, new_specs, strict=True)]
    for entry in created:
        entry._state.adding = False
    created_iter = iter(created)
    return [existing[s.idempotency_key] if s.idempotency_key in existing else next(created_iter) for s in specs]


ENTRY_COLUMNS = ("event", "effective_date", "description", "source_type", "source_id", "idempotency_key",
                 "reverses_id", "created_by_id", "posted_at")
LINE_COLUMNS = ("entry_id", "gl_account_id", "debit", "credit", "account_id", "agreement_id", "memo")


def apply_balance_deltas(deltas: dict[int, Decimal], agreement_accounts: dict[int, int]) -> None:
    """Move cached AR balances by ``deltas`` (agreement -> signed amount): lock
    the rows in primary-key order, create the missing ones, then one UPDATE
    per batch (PostgreSQL: from two arrays; SQLite: a prepared statement)."""
    if not deltas:
        return
    ids = sorted(deltas)
    table = connection.ops.quote_name(ARBalance._meta.db_table)
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        def lock(agreement_ids: list[int]) -> set[int]:
            # in primary-key order, so concurrent posters cannot deadlock (SQLite has one writer anyway)
            if postgres:
                cursor.execute(f"SELECT agreement_id FROM {table} WHERE agreement_id = ANY(%s) ORDER BY id FOR UPDATE",
                               [agreement_ids])
                return {r[0] for r in cursor.fetchall()}
            found: set[int] = set()
            for start in range(0, len(agreement_ids), 5000):
                chunk = agreement_ids[start:start + 5000]
                cursor.execute(f"SELECT agreement_id FROM {table} WHERE agreement_id IN ({', '.join(['%s'] * len(chunk))})",
                               chunk)
                found.update(r[0] for r in cursor.fetchall())
            return found

        have = lock(ids)
        missing = [a for a in ids if a not in have]
        if missing:
            if postgres:
                cursor.execute(f"INSERT INTO {table} (agreement_id, account_id, balance, updated_at) "
                               f"SELECT v.agreement_id, v.account_id, 0, %s "
                               f"FROM unnest(%s::bigint[], %s::bigint[]) AS v(agreement_id, account_id) "
                               f"ON CONFLICT (agreement_id) DO NOTHING",
                               [now, missing, [agreement_accounts[a] for a in missing]])
            else:
                cursor.executemany(f"INSERT INTO {table} (agreement_id, account_id, balance, updated_at) "
                                   f"VALUES (%s, %s, '0.00', %s) ON CONFLICT (agreement_id) DO NOTHING",
                                   [(a, agreement_accounts[a], connection.ops.adapt_datetimefield_value(now))
                                    for a in missing])
            lock(missing)
    nonzero = [a for a in ids if deltas[a] != 0]
    if not nonzero:
        return
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                f"UPDATE {table} SET balance = {table}.balance + v.delta, updated_at = %s "
                f"FROM unnest(%s::bigint[], %s::numeric[]) AS v(agreement_id, delta) "
                f"WHERE {table}.agreement_id = v.agreement_id",
                [now, nonzero, [deltas[a] for a in nonzero]])
        else:
            # SQLite keeps the column as a binary float: add whole cents and divide once, so a
            # balance is always the float nearest a 2-place amount and zero is 0 (never 5.6e-17 or -0.0)
            cursor.executemany(
                f"UPDATE {table} SET balance = (CAST(ROUND(balance * 100) AS INTEGER) + %s) / 100.0, "
                f"updated_at = %s WHERE agreement_id = %s",
                [(to_cents(deltas[a]), connection.ops.adapt_datetimefield_value(now), a) for a in nonzero])


def reversal_spec(entry: JournalEntry, *, effective_date: date, description: str,
                  event: str | None = None, idempotency_key: str | None = None) -> EntrySpec:
    lines = [Line(gl_account=line.gl_account.number, debit=line.credit, credit=line.debit, account_id=line.account_id,
                  agreement_id=line.agreement_id, memo=f"reversal: {line.memo}"[:200])
             for line in entry.lines.select_related("gl_account").order_by("pk")]
    return EntrySpec(event=event or f"{entry.event}_reversal", effective_date=effective_date, description=description,
                     lines=lines, source_type=entry.source_type, source_id=entry.source_id,
                     idempotency_key=idempotency_key, reverses_id=entry.pk)


def reverse(*, entry: JournalEntry, effective_date: date, description: str, created_by=None,
            event: str | None = None) -> JournalEntry:
    """Post the mirror image of ``entry``, linked to it. An entry can be
    reversed once; a reversal cannot itself be reversed."""
    if entry.reverses_id is not None:
        raise LedgerError(f"JE{entry.pk} is itself a reversal; post a new entry instead.")
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise LedgerError(f"JE{entry.pk} has already been reversed.")
    spec = reversal_spec(entry, effective_date=effective_date, description=description, event=event)
    return post_entries([spec], created_by=created_by)[0]
