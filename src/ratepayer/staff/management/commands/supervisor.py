"""``ratepayer supervisor create USERNAME [--first-name F --last-name L --email E]``

Creates the first customer account supervisor with a temporary password printed
once (the operator reads it out; the supervisor changes it at first sign-in).
Everyone after that is added in the console (Administration › Staff). This is
the operator's way in now that there is no Django admin site."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user, ensure_roles, temporary_password
from ratepayer.staff.context import acting_as
from ratepayer.staff.errors import StaffError


class Command(BaseCommand):
    help = "Create a customer account supervisor (the first staff login) with a temporary password."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a supervisor")
        create.add_argument("username")
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--email", default="")

    def handle(self, *args, **options):
        password = temporary_password()
        try:
            with transaction.atomic(), acting_as(user_id=None, channel="command"):
                ensure_roles()
                user = create_staff_user(username=options["username"], password=password, roles=[roles.SUPERVISOR],
                                         first_name=options["first_name"], last_name=options["last_name"],
                                         email=options["email"])
        except StaffError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{user.username}: {roles.SUPERVISOR}, temporary password {password} "
                          "(shown once; change it at first sign-in)")
