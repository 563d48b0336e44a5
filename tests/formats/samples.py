"""Valid files of every format we import, built here — the suite needs no ``../shared``.

Pure builders (no Django). Each takes the account numbers or meter serials it should
name, so the database tests can build files their fixtures will post. Where a format
carries free text, a sample holds a non-ASCII letter (``Peña``), so that re-encoding
it as Latin-1 changes its bytes; the formats that are ASCII by definition (NACHA,
fixed-width lockbox, interval CSV) have no such field, and their Latin-1 form is the
same file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ratepayer.formats import lockbox, scanline
from ratepayer.kernel.money import to_cents

DEPOSIT = date(2025, 3, 4)


def lockbox_csv(accounts: list[str]) -> bytes:
    """Five checks in one lockbox batch; the last is $21.00 (issue 10, point 6)."""
    amounts = ["150.00", "75.00", "1,204.50", "9.99", "21.00"]
    rows = ["lockbox,deposit_date,batch,item,check_amount,routing,account,check_number,stub_account,stub_amount,"
            "remitter"]
    for n, amount in enumerate(amounts, 1):
        quoted = f'"{amount}"' if "," in amount else amount
        payer = "José Peña" if n == 2 else f"Payer {n}"
        rows.append(f"0012345,2025-03-04,1,{n},{quoted},021000021,99887766,{1000 + n},{accounts[n % len(accounts)]},"
                    f"{quoted},{payer}")
    total = sum(Decimal(a.replace(",", "")) for a in amounts)
    rows.append(f"TRAILER,{len(amounts)},{total}")
    return ("\n".join(rows) + "\n").encode()


def lockbox_fixed(accounts: list[str]) -> bytes:
    """A BAI lockbox fixed-width file: four checks, one paying two stubs (an overflow record)."""
    def stub(account: str, due: str, applied: str | None = None) -> lockbox.Stub:
        return lockbox.Stub(line=0, account=account, amount_due=Decimal(due),
                            amount_applied=Decimal(applied) if applied else None,
                            scan_line=scanline.build(account, Decimal(due), date(2025, 3, 20)))
    checks = [("150.00", "1001", [stub(accounts[0], "150.00")]),
              ("100.00", "1002", [stub(accounts[1 % len(accounts)], "75.00"), stub(accounts[0], "0", "25.00")]),
              ("44.00", "1003", [stub(accounts[0], "44.00")]),
              ("21.00", "1004", [stub(accounts[1 % len(accounts)], "21.00")])]
    items = lockbox.items_from((Decimal(a), "021000021", "99887766", n, s) for a, n, s in checks)
    return lockbox.write_fixed(destination="UTILITY", origin="BANK", created=datetime(2025, 3, 4, 6, 0),
                               lockbox="0012345", deposit_date=DEPOSIT, batches=[items]).encode()


def bai2(details: list[tuple[str, str, str, str]] | None = None, *, as_of: date = DEPOSIT) -> bytes:
    """A BAI2 statement, one account: details are (type code, amount, bank reference, text)."""
    details = details or [("115", "304.00", "LBX0304", "LOCKBOX 0012345"),
                          ("301", "120.00", "DEP0304", "COUNTER DEPOSIT"),
                          ("555", "45.00", "RET0304", "RETURNED ITEM Peña R01"),
                          ("399", "12.34", "MISC0304", "INTEREST")]
    body = ["03,123456789,USD,010,500000,,/"]
    total = 500000
    for code, amount, reference, text in details:
        cents = to_cents(Decimal(amount))
        total += cents
        body.append(f"16,{code},{cents},Z,{reference},,{text}/")
    body.append(f"49,{total},{len(body) + 1}/")
    group = [f"02,UTILITY,BANKID,1,{as_of:%y%m%d},0600,USD,2/", *body]
    group.append(f"98,{total},1,{len(group) + 1}/")
    records = [f"01,BANKID,UTILITY,{as_of:%y%m%d},0600,0001,80,1,2/", *group]
    records.append(f"99,{total},1,{len(records) + 1}/")
    return ("\n".join(records) + "\n").encode()


def nacha_returns(returns: list[tuple[str, str, str, str, str]] | None = None, *, created: date = date(2025, 3, 10)
                  ) -> bytes:
    """A NACHA return file from the RDFI: returns are (original trace, code, routing, account, amount)."""
    returns = returns or [("021000020000001", "R01", "021000021", "12345678", "80.00"),
                          ("021000020000002", "R03", "021000021", "87654321", "42.50")]
    records = [f"101 125000024 021000021{created:%y%m%d}0900A094101{'RATEPAYER UTILITY':<23}{'RDFI BANK':<23}{'':8}",
               f"5225{'RATEPAYER UTIL':<16}{'':20}1910000001PPD{'UTIL BILL':<10}{'':6}{created:%y%m%d}   1"
               "021000020000001"]
    entry_hash = debit = count = 0
    for n, (trace, code, routing, account, amount) in enumerate(returns, 1):
        cents = to_cents(Decimal(amount))
        records.append(f"626{routing}{account:<17}{cents:010d}{'ACCT':<15}{'CUSTOMER':<22}  102100002{n:07d}")
        records.append(f"799{code}{trace}{'':6}{trace[:8]}{'':44}02100002{n:07d}")
        entry_hash += int(routing[:8])
        debit += cents
        count += 2
    records.append(f"8225{count:06d}{entry_hash % 10**10:010d}{debit:012d}{0:012d}1910000001{'':25}021000020000001")
    blocks = -(-(len(records) + 1) // 10)
    records.append(f"9000001{blocks:06d}{count:08d}{entry_hash % 10**10:010d}{debit:012d}{0:012d}{'':39}")
    records += ["9" * 94] * (blocks * 10 - len(records))
    return ("\n".join(records) + "\n").encode()


def phone_csv(accounts: list[str]) -> bytes:
    rows = ["settlement_date,transaction_id,account,amount,card_brand,last4,payer_name,purpose"]
    amounts = ["80.00", "42.50", "1,000.00", "21.00"]
    for n, amount in enumerate(amounts, 1):
        quoted = f'"{amount}"' if "," in amount else amount
        payer = "José Peña" if n == 2 else f"Payer {n}"
        rows.append(f"2025-03-04,TX{n:04d},{accounts[n % len(accounts)]},{quoted},VISA,424{n},{payer},")
    rows.append(f"TRAILER,{len(amounts)},{sum(Decimal(a.replace(',', '')) for a in amounts)}")
    return ("\n".join(rows) + "\n").encode()


def route_file(reads: list[tuple[str, date, int]]) -> bytes:
    """reads: (meter serial, read date, reading). A note with a non-ASCII letter on the first read."""
    rows = ["meter,read_date,reading,demand_kw,read_type,account,note"]
    for n, (serial, read_date, reading) in enumerate(reads):
        rows.append(f"{serial},{read_date:%Y-%m-%d},{reading},,A,,{'gate at Peña house' if n == 0 else ''}")
    rows.append(f"TRAILER,{len(reads)}")
    return ("\n".join(rows) + "\n").encode()


def interval_csv(serial: str, *, start: int = 1736150400, count: int = 8, seconds: int = 3600) -> bytes:
    """``count`` hourly intervals from ``start`` (UTC epoch), with an explicit offset."""
    rows = ["meter,start,kwh,seconds"]
    for n in range(count):
        stamp = datetime.fromtimestamp(start + n * seconds, UTC).isoformat()
        rows.append(f"{serial},{stamp},{Decimal(n % 5 + 1) / 4:.4f},{seconds}")
    rows.append(f"TRAILER,{count}")
    return ("\n".join(rows) + "\n").encode()


def green_button(*, start: int = 1736150400, count: int = 6) -> bytes:
    """A Green Button (ESPI) feed: one usage point, hourly Wh interval readings."""
    readings = "\n".join(
        f"   <IntervalReading><timePeriod><duration>3600</duration><start>{start + 3600 * n}</start></timePeriod>"
        f"<value>{1000 + 250 * n}</value></IntervalReading>" for n in range(count))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
 <entry><link rel="self" href="RetailCustomer/1/UsagePoint/1"/><title>Peña residence</title>
  <content><UsagePoint xmlns="http://naesb.org/espi"><ServiceCategory><kind>0</kind></ServiceCategory></UsagePoint>
  </content></entry>
 <entry><content><ReadingType xmlns="http://naesb.org/espi">
   <accumulationBehaviour>4</accumulationBehaviour><commodity>1</commodity><currency>840</currency>
   <flowDirection>1</flowDirection><intervalLength>3600</intervalLength><kind>12</kind>
   <powerOfTenMultiplier>0</powerOfTenMultiplier><uom>72</uom></ReadingType></content></entry>
 <entry><link rel="self" href="RetailCustomer/1/UsagePoint/1/MeterReading/1"/>
  <content><MeterReading xmlns="http://naesb.org/espi"/></content></entry>
 <entry><content><IntervalBlock xmlns="http://naesb.org/espi">
   <interval><duration>{3600 * count}</duration><start>{start}</start></interval>
{readings}
 </IntervalBlock></content></entry>
</feed>
""".encode()
