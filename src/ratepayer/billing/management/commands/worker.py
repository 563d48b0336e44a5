"""``ratepayer worker``: run a background worker (bill runs, documents, imports).

It is django-tasks' database worker under the project's name; start as many as
the machine has cores, on as many machines as the database can serve."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background task worker (django-tasks database backend)."

    def add_arguments(self, parser):
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--queue-name", default="default")

    def handle(self, *args, **options):
        extra = ["--max-tasks", str(options["max_tasks"])] if options["max_tasks"] else []
        call_command("db_worker", "--interval", str(options["interval"]), "--queue-name", options["queue_name"],
                     "--no-startup-delay", *extra)
