"""ratepayer serve [--addrport HOST:PORT] [--task-workers N]

Serves the staff console and the API.

* In production (``RATEPAYER_DEBUG`` unset) with gunicorn: ``RATEPAYER_WEB_WORKERS``
  processes of ``RATEPAYER_WEB_THREADS`` threads on ``RATEPAYER_BIND``, static
  files collected into ``STATIC_ROOT`` at start and served by WhiteNoise,
  ``X-Forwarded-*`` headers trusted only from ``RATEPAYER_FORWARDED_ALLOW_IPS``.
  Only hosts in ``RATEPAYER_ALLOWED_HOSTS`` are answered (400 otherwise).
* With ``RATEPAYER_DEBUG=1`` (a demo or development machine) with Django's
  development server on plain HTTP, without autoreload, printing the demo logins.

Either way it first checks the database is migrated, and starts ``--task-workers``
(``RATEPAYER_TASK_WORKERS``) ``ratepayer worker`` processes beside the web server,
which stop when it stops (and on their own if it is killed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor

from ratepayer.demo.builder import DEMO_LOGINS, DEMO_PASSWORD


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def start_task_workers(count: int) -> list[subprocess.Popen]:
    """``count`` ``ratepayer worker`` processes that exit with this one."""
    argv = [sys.executable, "-m", "ratepayer.cli", "worker", "--exit-with-parent", str(os.getpid())]
    return [subprocess.Popen(argv) for _ in range(count)]


def stop_task_workers(workers: list[subprocess.Popen], timeout: float = 30) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # the worker finishes its task (a chunk is one transaction)
    for worker in workers:
        try:
            worker.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def gunicorn_application(bind: str, *, workers: int, threads: int, timeout: int, forwarded_allow_ips: str):
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self):
            options = {"bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
                       "timeout": timeout, "graceful_timeout": 30, "proc_name": "ratepayer",
                       "forwarded_allow_ips": forwarded_allow_ips or "127.0.0.1,::1",
                       "accesslog": "-" if os.environ.get("RATEPAYER_ACCESS_LOG") else None,
                       "errorlog": "-"}
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from ratepayer.wsgi import application

            return application

    return Application()


class Command(BaseCommand):
    help = ("Serve the staff console and API: gunicorn in production, Django's development server with "
            "RATEPAYER_DEBUG=1; optionally with background task workers beside it.")
    requires_migrations_checks = False
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default=None,
                            help="address:port to listen on (default RATEPAYER_BIND, 127.0.0.1:8000)")
        parser.add_argument("--task-workers", type=int, default=None,
                            help="`ratepayer worker` processes to run beside the server "
                                 "(default RATEPAYER_TASK_WORKERS, 0)")

    def handle(self, *args, **options):
        addrport = options["addrport"] or settings.WEB_BIND
        task_workers = settings.TASK_WORKERS if options["task_workers"] is None else options["task_workers"]
        if task_workers < 0:
            raise CommandError("--task-workers: 0 or more")
        if settings.DEBUG and settings.SESSION_COOKIE_SECURE:
            raise CommandError("the development server speaks plain HTTP but secure cookies are on, so nobody could "
                               "sign in: unset RATEPAYER_SECURE_HTTPS on a demo or development machine.")
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            raise CommandError("RATEPAYER_ALLOWED_HOSTS is empty: name the host names this server answers to "
                               "(e.g. cis.example-utility.org), or set RATEPAYER_DEBUG=1 on a development machine.")
        try:
            pending = unapplied_migrations()
        except DatabaseError as exc:
            raise CommandError(f"cannot read the database ({exc}); run `ratepayer migrate` first") from exc
        if pending:
            shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
            raise CommandError(f"{len(pending)} migrations are not applied ({shown}): run `ratepayer migrate` first.")
        host, _, port = addrport.rpartition(":")
        if settings.DEBUG:
            self.banner(f"http://{host or '127.0.0.1'}:{port or addrport}/")
        else:
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write(f"ratepayer (gunicorn, {settings.WEB_WORKERS} x {settings.WEB_THREADS} threads) "
                              f"on {addrport}, hosts {', '.join(settings.ALLOWED_HOSTS)}")
        if task_workers:
            self.stdout.write(f"{task_workers} background worker(s) started (bill runs, documents, e-mail)")
        self.stdout.flush()
        connections.close_all()  # neither the workers nor gunicorn's forks may share this process's connection
        workers = start_task_workers(task_workers)
        server_pid = os.getpid()
        try:
            if settings.DEBUG:
                # runserver has no SIGTERM handler: exit through `finally` so the workers stop too
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                call_command("runserver", addrport, use_reloader=False, use_threading=True, insecure_serving=True)
            else:
                gunicorn_application(addrport, workers=settings.WEB_WORKERS, threads=settings.WEB_THREADS,
                                     timeout=settings.WEB_TIMEOUT,
                                     forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS).run()
        finally:
            if os.getpid() == server_pid:  # not in a gunicorn worker forked from here and exiting
                stop_task_workers(workers)

    def banner(self, url: str) -> None:
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
