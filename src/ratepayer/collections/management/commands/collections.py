"""``ratepayer collections <verb>``: the collections app's commands.

Each verb lives in its own module under ``ratepayer.collections.cli`` (``HELP``,
``add_arguments``, ``handle``); adding a verb is a module there and a line in ``VERBS``.
A refused input raises ``CommandError``: Django prints the message and exits with
status 1, no traceback.
"""

from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand, CommandParser

VERBS = {
    "explain": "ratepayer.collections.cli.explain",
    "winter-plan": "ratepayer.collections.cli.winter_plan",
    "run": "ratepayer.collections.cli.run",
    "notice": "ratepayer.collections.cli.notice",
}


class Command(BaseCommand):
    help = "Collections: " + "; ".join(
        f"`{verb}` {import_module(module).HELP}" for verb, module in VERBS.items())
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        for verb, module in VERBS.items():
            verb_module = import_module(module)
            verb_module.add_arguments(sub.add_parser(verb, help=verb_module.HELP.replace("%", "%%"),
                                                     description=verb_module.__doc__))

    def handle(self, *args, **options):
        import_module(VERBS[options["verb"]]).handle(self, options)
