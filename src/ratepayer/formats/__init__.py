"""File formats ratepayer reads and writes — pure Python, no Django (DESIGN §3, layer 1).

* :mod:`.nacha` — NACHA ACH reader, validator and writer (DOMAIN §C.1)
* :mod:`.bai2` — BAI2 bank statement reader, type-code catalog (DOMAIN §C.2)
* :mod:`.lockbox` — bank lockbox fixed-width reader/writer and CSV reader (DOMAIN §C.3)
* :mod:`.scanline` — OCR scan line on bill stubs (DOMAIN §C.4)
* :mod:`.greenbutton` — Green Button ESPI XML reader (DOMAIN §C.5)
* :mod:`.route_file` — route files of register reads (meter-reading handhelds)
* :mod:`.interval_csv` — interval data as CSV
* :mod:`.phone_payments` — pay-by-phone (card processor) settlement CSV
* :mod:`.text` — the checks every text file passes first (encoding, NUL, line length, CSV)
* :mod:`.errors` — ``FormatError`` (``line N: field: what is wrong``) and ``ValidationReport``

File layouts are documented in docs/formats.md.
"""
