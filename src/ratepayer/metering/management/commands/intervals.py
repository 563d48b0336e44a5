"""ratepayer intervals import FILE [--meter SERIAL] [--user USERNAME] [--format json]

Imports interval data: a Green Button (ESPI) XML file for one meter (--meter), or a
CSV with the header meter,start,kwh. Whole file or nothing; the same file again
changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ._common import acting_user, emit, fail


class Command(BaseCommand):
    help = "Interval data. `import FILE` loads Green Button XML or CSV meter,start,kwh."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import a Green Button XML or interval CSV file")
        imp.add_argument("file")
        imp.add_argument("--meter", default="", help="meter serial number (Green Button files do not name it)")
        imp.add_argument("--user", help="staff user doing the import (default: $RATEPAYER_USER)")
        imp.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        from ratepayer.metering import actions
        from ratepayer.metering.errors import AlreadyImported, ImportRejected, MeteringError
        from ratepayer.staff.context import acting_as
        from ratepayer.staff.errors import PermissionRefused

        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        user = acting_user(options["user"])
        try:
            with acting_as(user_id=user.pk):
                result = actions.import_intervals(user=user, content=content, name=path.name,
                                                  meter_serial=options["meter"])
        except AlreadyImported as exc:
            emit(self, options, {"status": "already_imported", "file": str(path), "message": str(exc)}, [str(exc)])
            return
        except ImportRejected as exc:
            fail(self, options, {"status": "rejected", "file": str(path),
                                 "errors": [{"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                                            for p in exc.problems]},
                 [str(p) for p in exc.problems] + [f"{path.name}: rejected, nothing imported"], 2)
        except (MeteringError, PermissionRefused) as exc:
            fail(self, options, {"status": "refused", "file": str(path), "message": str(exc)}, [str(exc)], 2)
        emit(self, options, {"status": "imported", "file": str(path), "import_id": result.file.pk,
                             "meters": result.meters, "intervals": result.intervals, "meter_days": result.days,
                             "billing_periods": result.periods, "missing_intervals": result.gaps},
             [f"{path.name}: {result.intervals} intervals for {result.meters} meter(s) over {result.days} meter-days, "
              f"{result.periods} billing periods, {result.gaps} missing intervals in the days touched"])
