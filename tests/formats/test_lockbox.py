from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratepayer.formats import lockbox, scanline
from ratepayer.formats.errors import ReportError


def _stub(account: str, amount: str) -> lockbox.Stub:
    return lockbox.Stub(
        line=0, account=account, scan_line=scanline.build(account, Decimal(amount), date(2025, 2, 10))
    )


def _items():
    return lockbox.items_from(
        [
            (Decimal("123.45"), "021000021", "998877", "1001", [_stub("100234", "123.45")]),
            (
                Decimal("300.00"),
                "325070760",
                "55555",
                "2002",
                [
                    _stub("100987", "150.00"),
                    lockbox.Stub(line=0, account="100988", amount_applied=Decimal("100.00")),
                    lockbox.Stub(line=0, account="100989", amount_applied=Decimal("30.00")),
                    lockbox.Stub(line=0, account="100990", amount_applied=Decimal("15.00")),
                    lockbox.Stub(line=0, account="100991", amount_applied=Decimal("5.00")),
                ],
            ),
            (Decimal("40.00"), "011000015", "4444", "77", []),  # missing stub -> suspense
        ]
    )


def _file(batches=None) -> str:
    items = _items()
    return lockbox.write_fixed(
        destination="PUD",
        origin="BANK",
        created=datetime(2025, 2, 11, 6, 0),
        lockbox="4455",
        deposit_date=date(2025, 2, 11),
        batches=batches if batches is not None else [items, items[:1]],
    )


def test_write_then_read_fixed_width():
    text = _file()
    assert all(len(line) == 80 for line in text.splitlines())
    result = lockbox.read_fixed(text)
    assert result.created == datetime(2025, 2, 11, 6, 0)
    assert [len(b.items) for b in result.batches] == [3, 1]
    assert result.total == Decimal("586.90")
    assert result.lockbox_totals() == {("4455", date(2025, 2, 11)): Decimal("586.90")}
    first, second, third = result.batches[0].items
    assert first.key == ("4455", date(2025, 2, 11), "001", "001")
    assert (first.routing, first.account, first.check_number) == ("021000021", "998877", "1001")
    (stub,) = first.stubs
    assert (stub.account, stub.amount_due, stub.due_date, stub.error) == (
        "100234",
        Decimal("123.45"),
        date(2025, 2, 10),
        None,
    )
    # one check paying five stubs: the scan line plus two overflow (4) records
    assert [s.account for s in second.stubs] == ["100987", "100988", "100989", "100990", "100991"]
    assert [s.amount_applied for s in second.stubs[1:]] == [
        Decimal("100.00"),
        Decimal("30.00"),
        Decimal("15.00"),
        Decimal("5.00"),
    ]
    assert sum(1 for line in text.splitlines() if line.startswith("4")) == 2
    assert third.stubs == []


def test_misread_scan_line_is_kept_for_suspense_not_a_file_error():
    text = _file()
    lines = text.splitlines()
    detail = lines[3]
    assert detail.startswith("6")
    digit = detail[50]
    lines[3] = detail[:50] + str((int(digit) + 1) % 10) + detail[51:]
    result = lockbox.read_fixed("\n".join(lines))
    stub = result.items[0].stubs[0]
    assert stub.error is not None and stub.error.startswith("check digit:")


def _replace(text: str, line_no: int, start: int, value: str) -> str:
    lines = text.splitlines()
    line = lines[line_no - 1]
    lines[line_no - 1] = line[: start - 1] + value + line[start - 1 + len(value) :]
    return "\n".join(lines) + "\n"


def test_batch_total_mismatch_rejects_the_whole_file():
    text = _file()
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("7"))
    bad = _replace(text, line_no, 21, "0000058690")
    with pytest.raises(ReportError) as excinfo:
        lockbox.read_fixed(bad)
    assert excinfo.value.report.lines() == [
        f"line {line_no}: batch amount: says 586.90, items of batch 001 total 463.45",
    ]


def test_lockbox_total_and_record_count_are_checked():
    text = _file()
    lines = text.splitlines()
    n8 = next(i for i, line in enumerate(lines, 1) if line.startswith("8"))
    bad = _replace(text, n8, 15, "00000005")
    assert (
        f"line {n8}: lockbox item count: says 5, lockbox 4455 has 4 items"
        in lockbox.parse_fixed(bad).report.lines()
    )
    bad = _replace(text, len(lines), 2, "000099")
    assert lockbox.parse_fixed(bad).report.lines() == [
        f"line {len(lines)}: record count: says 99, file has {len(lines)} records"
    ]


def test_truncated_file_is_rejected():
    lines = _file().splitlines()
    report = lockbox.parse_fixed("\n".join(lines[:-3])).report
    assert not report.ok
    assert any("trailer (9): missing" in line for line in report.lines())
    assert all(re.match(r"^line \d+: [^:]+: .+", line) for line in report.lines())


def test_overflow_out_of_place_is_an_error():
    lines = _file().splitlines()
    overflow = next(i for i, line in enumerate(lines) if line.startswith("4"))
    lines[overflow] = lines[overflow][:4] + "9" + lines[overflow][5:]  # item 009
    report = lockbox.parse_fixed("\n".join(lines)).report
    assert any(p.field == "item number" and p.line == overflow + 1 for p in report.errors)


def test_non_numeric_amount_names_line_and_field():
    text = _file()
    bad = _replace(text, 4, 8, "00000ABCDE")
    assert "line 4: amount: '00000ABCDE' is not an amount in cents" in lockbox.parse_fixed(bad).report.lines()


def test_custom_column_map():
    layout = lockbox.FixedLayout(
        record_length=100,
        detail_stub=lockbox.Col(48, 100),
        overflow_data=lockbox.Col(12, 100),
    )
    text = lockbox.write_fixed(
        destination="PUD",
        origin="BANK",
        created=datetime(2025, 2, 11, 6, 0),
        lockbox="4455",
        deposit_date=date(2025, 2, 11),
        batches=[_items()],
        layout=layout,
    )
    assert {len(line) for line in text.splitlines()} == {100}
    result = lockbox.read_fixed(text, layout=layout)
    assert [s.account for s in result.items[1].stubs][-1] == "100991"
    assert sum(1 for line in text.splitlines() if line.startswith("4")) == 1  # 4 pairs fit in 89 chars


CSV = """Lockbox,Deposit Date,Batch,Item,Check Amount,Routing,Account,Check Number,Stub Account,Stub Amount
4455,2025-02-11,1,1,123.45,021000021,998877,1001,100234,123.45
4455,2025-02-11,1,2,"1,300.00",325070760,55555,2002,100987,1000.00
4455,2025-02-11,1,2,"1,300.00",325070760,55555,2002,100988,300.00
4455,2025-02-11,2,1,40.00,011000015,4444,77,,
TRAILER,3,1463.45
"""


def test_csv_with_column_mapping():
    layout = lockbox.CsvLayout(
        lockbox="Lockbox",
        deposit_date="Deposit Date",
        batch="Batch",
        item="Item",
        amount="Check Amount",
        routing="Routing",
        account="Account",
        check_number="Check Number",
        stub_account="Stub Account",
        stub_amount="Stub Amount",
    )
    result = lockbox.read_csv(CSV, layout=layout, expected_count=3, expected_total=Decimal("1463.45"))
    assert [len(b.items) for b in result.batches] == [2, 1]
    multi = result.batches[0].items[1]
    assert multi.amount == Decimal("1300.00")
    assert [(s.account, s.amount_applied) for s in multi.stubs] == [
        ("100987", Decimal("1000.00")),
        ("100988", Decimal("300.00")),
    ]
    assert result.batches[1].items[0].stubs == []


def test_csv_errors_name_line_and_column():
    layout = lockbox.CsvLayout(
        lockbox="Lockbox",
        deposit_date="Deposit Date",
        batch="Batch",
        item="Item",
        amount="Check Amount",
        routing="Routing",
        account="Account",
        check_number="Check Number",
        stub_account="Stub Account",
        stub_amount="Stub Amount",
    )
    bad = CSV.replace("123.45,021000021", "12x.45,021000021").replace("2025-02-11,2,1", "2025-02-31,2,1")
    lines = lockbox.parse_csv(bad, layout=layout).report.lines()
    assert "line 2: check amount: '12x.45' is not an amount in dollars and cents" in lines
    assert "line 5: deposit date: '2025-02-31' is not a date (%Y-%m-%d)" in lines
    report = lockbox.parse_csv(CSV, layout=layout, expected_total=Decimal("1.00")).report
    assert report.lines() == ["total: expected 1.00, checks total 1463.45"]
    missing = lockbox.parse_csv(CSV, layout=lockbox.CsvLayout()).report.lines()
    assert any(
        line.startswith("line 1: check number: column 'check_number' is not in the header")
        for line in missing
    )


def test_large_file_round_trip_is_fast_enough():
    items = lockbox.items_from(
        [
            (Decimal(n % 9000 + 1) / 100, "021000021", "998877", str(n), [_stub(str(n), "12.34")])
            for n in range(5000)
        ]
    )
    text = lockbox.write_fixed(
        destination="PUD",
        origin="BANK",
        created=datetime(2025, 2, 11, 6, 0),
        lockbox="4455",
        deposit_date=date(2025, 2, 11),
        batches=[items[i : i + 500] for i in range(0, len(items), 500)],
    )
    result = lockbox.read_fixed(text)
    assert len(result.items) == 5000
    assert result.total == sum((i.amount for i in items), Decimal("0.00"))


_amounts = st.integers(min_value=1, max_value=99_999_999)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(_amounts, st.lists(st.integers(min_value=1, max_value=9_999_999), max_size=7)),
            min_size=1,
            max_size=20,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_fixed_width_round_trip(batches_spec):
    batches = []
    for batch in batches_spec:
        items = []
        for n, (cents, extra_accounts) in enumerate(batch):
            amount = Decimal(cents) / 100
            stubs = [_stub(str(n + 1), str(amount))] + [
                lockbox.Stub(line=0, account=str(a), amount_applied=Decimal("1.00")) for a in extra_accounts
            ]
            items.extend(lockbox.items_from([(amount, "021000021", "1234", str(n), stubs)]))
        batches.append(items)
    result = lockbox.read_fixed(_file(batches))
    assert [len(b.items) for b in result.batches] == [len(b) for b in batches_spec]
    assert [i.amount for i in result.items] == [i.amount for b in batches for i in b]
    assert [[s.account for s in i.stubs] for i in result.items] == [
        [s.account for s in i.stubs] for b in batches for i in b
    ]
