"""ratepayer token create USER NAME | revoke USER NAME | list [USER]

Personal API tokens. ``create`` prints the raw token once, on stdout, and
never again: only its SHA-256 digest is stored. ``revoke`` stops a token at
once (the next request with it gets 401). Each change is in the audit trail
with channel "command".
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ratepayer.staff import context
from ratepayer.staff.actions import create_api_token, revoke_api_token
from ratepayer.staff.errors import StaffError
from ratepayer.staff.models import ApiToken


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"user {username!r}: no such staff user")
    if not user.is_active:
        raise CommandError(f"user {username!r}: the account is deactivated")
    return user


class Command(BaseCommand):
    help = "Create, revoke and list personal API tokens (Authorization: Bearer <token>)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown only this once)")
        create.add_argument("username")
        create.add_argument("name", help="what the token is for, e.g. 'GIS nightly export'")
        create.add_argument("--format", choices=["text", "json"], default="text")
        revoke = sub.add_parser("revoke", help="revoke the user's active tokens with this name")
        revoke.add_argument("username")
        revoke.add_argument("name")
        listing = sub.add_parser("list", help="list tokens (prefix, name, dates), never the token itself")
        listing.add_argument("username", nargs="?")
        listing.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        with context.acting_as(user_id=None, channel="command"):
            return getattr(self, f"_{options['subcommand']}")(options)

    def _create(self, options):
        user = _user(options["username"])
        name = options["name"].strip()
        if not name:
            raise CommandError("name: give the token a name that says what it is for")
        if len(name) > ApiToken._meta.get_field("name").max_length:
            raise CommandError("name: at most 100 characters")
        try:
            token, raw = create_api_token(user=user, name=name)
        except StaffError as exc:
            raise CommandError(f"user {user.get_username()!r}: {exc}") from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps({"user": user.get_username(), "name": token.name, "prefix": token.prefix,
                                          "token": raw}))
        else:
            self.stdout.write(raw)
            self.stderr.write(f"Token {token.name!r} for {user.get_username()} created. It is shown only this once: "
                              "store it in your secret manager now.")

    def _revoke(self, options):
        user = _user(options["username"])
        tokens = list(ApiToken.objects.filter(user=user, name=options["name"], revoked_at__isnull=True).order_by("pk"))
        if not tokens:
            raise CommandError(f"user {user.get_username()!r} has no active token named {options['name']!r}")
        for token in tokens:
            revoke_api_token(token=token, by=user)
        self.stdout.write(f"revoked {len(tokens)} token(s) named {options['name']!r} of {user.get_username()}")

    def _list(self, options):
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at", "pk")
        if options["username"]:
            tokens = tokens.filter(user=_user(options["username"]))
        rows = [{"user": t.user.get_username(), "name": t.name, "prefix": t.prefix,
                 "created_at": t.created_at.isoformat(),
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                 "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None} for t in tokens]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for r in rows:
            state = f"revoked {r['revoked_at'][:16]}" if r["revoked_at"] else "active"
            used = r["last_used_at"][:16] if r["last_used_at"] else "never used"
            self.stdout.write(f"{r['user']:<20} {r['prefix']}…  {r['name']:<30} {state:<24} {used}")
