"""Shared plumbing of the metering commands: who is acting, and how results print."""

from __future__ import annotations

import json
import os
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def acting_user(username: str | None):
    username = username or os.environ.get("RATEPAYER_USER")
    if not username:
        raise CommandError("say who is importing: --user USERNAME (or set RATEPAYER_USER)")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active staff user {username!r}")
    return user


def emit(command, options, payload: dict, lines: list[str]) -> None:
    if options["format"] == "json":
        command.stdout.write(json.dumps(payload, indent=2, default=str))
    else:
        for line in lines:
            command.stdout.write(line)


def fail(command, options, payload: dict, problems: list[str], status: int) -> None:
    if options["format"] == "json":
        command.stdout.write(json.dumps(payload, indent=2, default=str))
    for p in problems:
        command.stderr.write(p)
    sys.exit(status)
