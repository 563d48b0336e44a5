"""ratepayer serve [--addrport 127.0.0.1:8000]

The demo and development server: checks the database is migrated, prints the
URL and the demo logins, then serves the staff console with Django's
development server (no autoreload) and the app static files. Production runs
the WSGI application (ratepayer.wsgi) behind a real web server instead.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from ratepayer.demo.builder import DEMO_LOGINS, DEMO_PASSWORD


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


class Command(BaseCommand):
    help = "Serve the staff console on plain HTTP for a demo or development machine, printing the demo logins."
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="address:port to listen on")

    def handle(self, *args, **options):
        addrport = options["addrport"]
        if settings.SESSION_COOKIE_SECURE:
            raise CommandError("ratepayer serve speaks plain HTTP but secure cookies are on, so nobody could sign in: "
                               "set RATEPAYER_DEBUG=1 on a demo or development machine.")
        try:
            pending = unapplied_migrations()
        except DatabaseError as exc:
            raise CommandError(f"cannot read the database ({exc}); run `ratepayer migrate` first") from exc
        if pending:
            shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
            raise CommandError(f"{len(pending)} migrations are not applied ({shown}): run `ratepayer migrate` first.")
        host, _, port = addrport.rpartition(":")
        url = f"http://{host or '127.0.0.1'}:{port or addrport}/"
        self.stdout.write(f"ratepayer staff console: {url}")
        present = set(get_user_model().objects.filter(username__in=[d.username for d in DEMO_LOGINS], is_active=True)
                      .values_list("username", flat=True))
        if present:
            self.stdout.write(f"demo logins (demo data only; every demo user's password is {DEMO_PASSWORD!r}):")
            for login in DEMO_LOGINS:
                if login.username in present:
                    self.stdout.write(f"  {login.username:<11} {DEMO_PASSWORD:<15} {login.role}")
        else:
            self.stdout.write("no demo users in this database (build the demo with `ratepayer demo`)")
        self.stdout.flush()
        call_command("runserver", addrport, use_reloader=False, use_threading=True, insecure_serving=True)
