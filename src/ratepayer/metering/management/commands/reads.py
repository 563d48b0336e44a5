"""ratepayer reads import FILE [--mapping MAPPING.json] [--user USERNAME] [--format json]

Imports a route file of register reads (docs/formats-route-file.md). The whole file
or nothing: a bad row rejects it, naming file, line and field (exit status 2); the
same file again changes nothing (exit 0, status "already_imported")."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ._common import acting_user, emit, fail


class Command(BaseCommand):
    help = "Meter reads. `import FILE` loads a route file of register reads."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import a route file (CSV, default layout or --mapping)")
        imp.add_argument("file")
        imp.add_argument("--mapping", help="JSON file describing another column layout")
        imp.add_argument("--user", help="staff user doing the import (default: $RATEPAYER_USER)")
        imp.add_argument("--format", choices=["text", "json"], default="text")
        pol = sub.add_parser("policy", help="show the read policy in force, or put a new one in force (--set)")
        pol.add_argument("--set", action="store_true", help="add a policy from --from (supervisors)")
        pol.add_argument("--from", dest="effective_from", help="YYYY-MM-DD")
        pol.add_argument("--high-factor", default="3")
        pol.add_argument("--low-factor", default="0.25")
        pol.add_argument("--max-days-between-reads", type=int, default=45)
        pol.add_argument("--billing-window-days", type=int, default=5)
        pol.add_argument("--max-consecutive-estimates", type=int, default=2)
        pol.add_argument("--note", default="")
        pol.add_argument("--user", help="staff user (default: $RATEPAYER_USER)")
        pol.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        if options["subcommand"] == "policy":
            return self.policy(options)
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
            mapping = actions.load_mapping(options["mapping"]) if options["mapping"] else None
            with acting_as(user_id=user.pk):
                result = actions.import_route_file(user=user, content=content, name=path.name, mapping=mapping)
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
                             "sha256": result.file.sha256, "rows": result.rows, "reads": result.reads_created,
                             "exceptions": result.exceptions_created, "already_on_file": result.duplicates_skipped},
             [f"{path.name}: {result.rows} rows, {result.reads_created} reads stored, {result.exceptions_created} held "
              f"as read exceptions, {result.duplicates_skipped} already on file"])

    def policy(self, options):
        from datetime import date

        from django.utils import timezone

        from ratepayer.metering import actions, queries
        from ratepayer.metering.errors import MeteringError
        from ratepayer.staff.context import acting_as
        from ratepayer.staff.errors import PermissionRefused

        day = timezone.localdate()
        if options["set"]:
            user = acting_user(options["user"])
            try:
                day = date.fromisoformat(options["effective_from"] or "")
            except ValueError:
                raise CommandError("--from: give the first day of the new policy as YYYY-MM-DD") from None
            try:
                with acting_as(user_id=user.pk):
                    actions.set_read_policy(
                        user=user, effective_from=day, high_factor=options["high_factor"],
                        low_factor=options["low_factor"], max_days_between_reads=options["max_days_between_reads"],
                        billing_window_days=options["billing_window_days"],
                        max_consecutive_estimates=options["max_consecutive_estimates"], note=options["note"])
            except (MeteringError, PermissionRefused) as exc:
                fail(self, options, {"status": "refused", "message": str(exc)}, [str(exc)], 2)
        policy = queries.read_policy_on(day)
        payload = {"in_force_on": day.isoformat(), **{k: str(v) for k, v in policy.__dict__.items()}}
        emit(self, options, payload, [f"read policy in force on {day}:"]
             + [f"  {k.replace('_', ' ')}: {v}" for k, v in policy.__dict__.items()])
