"""Importing files of register reads: route files and bulk loads.

A file is parsed whole by ``formats.route_file`` (the layout and its mapping are
there) and refused whole on any problem, naming file, line and field; its reads are
then validated and stored by ``reads.store_reads`` in the same transaction that
records the file. The file's sha256 is unique (``ReadImportFile``), so the same bytes
again are refused as already imported and change nothing — also when two imports of
the same file race: the second waits for the first and is told it was imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction

from ratepayer.formats import route_file
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from ..errors import AlreadyImported, ImportRejected, MeteringError, RowProblem
from ..models import ReadImportFile, RegisterRead
from .reads import RT, ReadInput, store_reads


def load_mapping(source: str | Path | dict | None) -> dict:
    """A route-file mapping: the default layout updated with the given JSON."""
    try:
        return route_file.load_mapping(source)
    except route_file.MappingError as exc:
        raise MeteringError(str(exc)) from None


def parse_route_file(content: bytes, *, name: str, mapping: dict | None = None) -> list[ReadInput]:
    """Parse a whole route file or raise ImportRejected naming every bad line and field."""
    reads, report = route_file.parse_route_file(content, name=name, mapping=mapping)
    if not report.ok:
        raise ImportRejected(problems_of(report, name))
    return [ReadInput(**r.__dict__) for r in reads]


def problems_of(report, name: str) -> list[RowProblem]:
    """A format reader's problems as the rows an ImportRejected lists."""
    return [RowProblem(p.file or name, p.line, p.field, p.message) for p in report.errors]


@dataclass(frozen=True)
class ImportResult:
    file: ReadImportFile
    rows: int
    reads_created: int
    exceptions_created: int
    duplicates_skipped: int


def claim_file(content: bytes, *, name: str, kind: str, user) -> ReadImportFile:
    digest = hashlib.sha256(content).hexdigest()
    earlier = ReadImportFile.objects.filter(sha256=digest).first()
    if earlier is not None:
        raise AlreadyImported(f"{name}: this file was already imported on {earlier.imported_at:%Y-%m-%d %H:%M} as "
                              f"{earlier.name!r} ({earlier.rows} rows); nothing was changed.")
    try:
        with transaction.atomic():
            return ReadImportFile.objects.create(sha256=digest, name=name[:255], kind=kind, imported_by=user)
    except IntegrityError:
        raise AlreadyImported(f"{name}: this file is being imported or was just imported; nothing was changed.") from None


def import_route_file(*, user, content: bytes, name: str, mapping: dict | None = None) -> ImportResult:
    """Import a route file of register reads, whole or not at all.

    Idempotent: the same bytes again raise AlreadyImported and change nothing. A bad
    row (or a cut-off file) raises ImportRejected naming file, line and field.
    Reads that fail validation are stored and held as read exceptions.
    """
    permissions.require(user, "reads.manage", "import route files")
    reads, report = route_file.parse_route_file(content, name=name, mapping=mapping)
    problems = problems_of(report, name)
    if any(p.line in (None, 1) or p.field in ("", "file", "trailer") for p in problems):
        raise ImportRejected(problems)  # the file as a whole is bad (cut off, incomplete, wrong header)
    # row problems are reported together with what validation against the meters finds
    inputs = [ReadInput(**r.__dict__) for r in reads]
    with transaction.atomic():
        file = claim_file(content, name=name, kind=ReadImportFile.Kind.ROUTE, user=user)
        result = store_reads(inputs, user=user, source=RegisterRead.Source.ROUTE_FILE, file_name=name,
                              import_file=file, problems=problems)
        ReadImportFile.objects.filter(pk=file.pk).update(
            rows=len(inputs), reads_created=len(result.reads), exceptions_created=len(result.exceptions),
            duplicates_skipped=result.duplicates)
        file.refresh_from_db()
        audit.record(AuditAction.READS_IMPORTED, user_id=user.pk, obj=file,
                     summary=f"{name}: {len(inputs)} rows, {len(result.reads)} reads, "
                             f"{len(result.exceptions)} exceptions, {result.duplicates} already on file",
                     after={"sha256": file.sha256, "rows": len(inputs)})
    return ImportResult(file, len(inputs), len(result.reads), len(result.exceptions), result.duplicates)


def load_reads_bulk(rows: Iterable[dict | ReadInput], *, user, name: str = "bulk load",
                    validate: bool = True) -> ImportResult:
    """Load many reads at once (the demo builder's year of reads for thousands of
    meters): rows are dicts with meter (serial), read_date, value and optionally
    read_type/demand_kw. Validated like a route file and bulk inserted in one
    transaction, with a fixed number of queries per 5,000 meters. The batch is
    recorded as a ReadImportFile keyed by the sha256 of its content, so loading the
    same rows twice is refused."""
    permissions.require(user, "reads.manage", "load meter reads")
    inputs = [r if isinstance(r, ReadInput) else
              ReadInput(r["meter"], r["read_date"], Decimal(r["value"]), r.get("read_type", RT.ACTUAL),
                        None if r.get("demand_kw") is None else Decimal(r["demand_kw"]), line=n)
              for n, r in enumerate(rows, start=1)]
    digest_source = "\n".join(f"{i.meter_serial},{i.read_date},{i.value},{i.read_type}" for i in inputs).encode()
    with transaction.atomic():
        file = claim_file(digest_source, name=name, kind=ReadImportFile.Kind.BULK, user=user)
        result = store_reads(inputs, user=user, source=RegisterRead.Source.BULK, file_name=name, import_file=file,
                              validate=validate)
        ReadImportFile.objects.filter(pk=file.pk).update(
            rows=len(inputs), reads_created=len(result.reads), exceptions_created=len(result.exceptions),
            duplicates_skipped=result.duplicates)
        file.refresh_from_db()
        audit.record(AuditAction.READS_BULK_LOADED, user_id=user.pk, obj=file,
                     summary=f"{name}: {len(result.reads)} reads, {len(result.exceptions)} exceptions")
    return ImportResult(file, len(inputs), len(result.reads), len(result.exceptions), result.duplicates)
