"""The ``ratepayer`` command: Django's management commands under one name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["rate"]:
        # The tariff calculator needs no database, no secret key, no Django settings.
        from ratepayer.rating.cli import main as rate

        sys.exit(rate(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ratepayer", *sys.argv[1:]])


if __name__ == "__main__":
    main()
