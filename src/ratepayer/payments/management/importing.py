"""Shared by the payments commands: run an import with the operator's user and
print a summary (text or JSON); a refused file prints every problem as
``FILE: line N: field: problem`` on stderr and exits 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.payments.errors import ImportRefused, PaymentError
from ratepayer.staff.errors import PermissionRefused


def add_import_arguments(parser: CommandParser) -> None:
    parser.add_argument("file")
    parser.add_argument("--user", help="staff username the import is recorded under (its role is checked); "
                                       "without it the import is recorded as the system")
    parser.add_argument("--format", choices=["json", "text"], default="text")


def user_from(options: dict):
    name = options.get("user")
    if not name:
        return None
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        raise CommandError(f"--user: no active staff user {name!r}")
    return user


def run(command: BaseCommand, options: dict, do_import: Callable[..., object], describe: Callable[[object], dict]):
    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    user = user_from(options)
    try:
        result = do_import(user=user, content=path.read_bytes(), name=path.name)
    except ImportRefused as refused:
        for problem in refused.problems:
            command.stderr.write(f"{path.name}: {problem}")
        command.stderr.write(f"{path.name}: refused, nothing was imported")
        sys.exit(1)
    except (PaymentError, PermissionRefused) as exc:
        raise CommandError(f"{path.name}: {exc}") from exc
    summary = describe(result)
    if options.get("format") == "json":
        command.stdout.write(json.dumps(summary, indent=2, default=str))
    else:
        command.stdout.write(f"{path.name}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()))


def describe_file(imported) -> dict:
    return {"file_id": imported.pk, "items": imported.item_count, "total": str(imported.total), **imported.summary}
