"""Staff actions: roles set-up, users, login throttling, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import audit, permissions
from .audit import AuditAction
from .errors import LoginThrottled, StaffError
from .models import ApiToken, ApprovalLimit, LoginFailure
from .roles import DEFAULT_LIMITS, ROLES


def ensure_roles(*, limits_effective_from: date = date(2000, 1, 1)) -> None:
    """Create the role groups and seed default limits (idempotent)."""
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    existing = set(ApprovalLimit.objects.values_list("role", "action"))
    ApprovalLimit.objects.bulk_create(
        [
            ApprovalLimit(role=role, action=action, amount=Decimal(amount), effective_from=limits_effective_from,
                          reason="default limit")
            for role, actions in DEFAULT_LIMITS.items()
            for action, amount in actions.items()
            if (role, action) not in existing
        ]
    )


def create_staff_user(
    *, username: str, password: str, roles: list[str], first_name: str = "", last_name: str = "",
    email: str = "", created_by=None,
):
    if created_by is not None:
        permissions.require(created_by, "users.admin", "create staff users")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise StaffError(f"Unknown role(s): {', '.join(unknown)}")
    User = get_user_model()
    try:
        User.username_validator(username)
    except ValidationError:
        raise StaffError("Username: letters, digits and @ . + - _ only.") from None
    if User.objects.filter(username__iexact=username).exists():
        raise StaffError(f"Username: {username!r} is already taken.")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, first_name=first_name, last_name=last_name, email=email
        )
        user.groups.set(Group.objects.filter(name__in=roles))
        audit.record(AuditAction.USER_CREATED, obj=user, summary=f"{username}: {', '.join(roles)}", after={"roles": roles},
                     user_id=created_by.pk if created_by else None)
    return user


def temporary_password() -> str:
    """A password to read out once: 4 groups of 4 letters and digits (no 0/O, 1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def create_staff_user_with_temporary_password(*, username: str, role: str, first_name: str = "", last_name: str = "",
                                              email: str = "", created_by):
    """A new staff user with one role and a temporary password, returned once
    (shown to the supervisor, never stored in clear or audited)."""
    password = temporary_password()
    user = create_staff_user(username=username, password=password, roles=[role], first_name=first_name,
                             last_name=last_name, email=email, created_by=created_by)
    return user, password


def _require_admin_of(by, user, doing: str) -> None:
    permissions.require(by, "users.admin", doing)
    if user.pk == by.pk:
        raise StaffError(f"Nobody can {doing} for themselves: ask another supervisor.")
    if user.is_superuser:
        raise StaffError(f"{user.get_username()} is an operator account (Django superuser): an operator "
                         "manages it with the 'ratepayer' and Django admin commands.")


def set_staff_role(*, user, role: str, by):
    """Give a staff user exactly one role (replacing the ones they had)."""
    _require_admin_of(by, user, "change the role")
    if role not in ROLES:
        raise StaffError(f"Role: {role!r} is not a role.")
    with transaction.atomic():
        before = permissions.roles_of(user)
        if before == [role]:
            raise StaffError(f"Role: {user.get_username()} already is {role}.")
        user.groups.set(Group.objects.filter(name=role))
        if hasattr(user, permissions._CACHE_ATTR):
            delattr(user, permissions._CACHE_ATTR)
        audit.record(AuditAction.USER_ROLE_CHANGED, obj=user, summary=f"{user.get_username()}: {', '.join(before) or 'no role'}"
                                                            f" -> {role}",
                     before={"roles": before}, after={"roles": [role]}, user_id=by.pk)
    return user


def set_staff_active(*, user, active: bool, by, reason: str = ""):
    """Deactivate (cannot sign in or use the API; their work and history stay)
    or reactivate a staff user."""
    _require_admin_of(by, user, "deactivate or reactivate the account")
    if user.is_active == active:
        raise StaffError(f"{user.get_username()} is already {'active' if active else 'deactivated'}.")
    if not active and not reason.strip():
        raise StaffError("Reason: say why the account is deactivated.")
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        audit.record(AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED, obj=user,
                     summary=f"{user.get_username()} {'reactivated' if active else 'deactivated'}"
                             f"{': ' + reason.strip() if reason.strip() else ''}"[:300],
                     before={"is_active": not active}, after={"is_active": active}, user_id=by.pk)
    return user


def reset_staff_password(*, user, by) -> str:
    """Replace a staff user's password with a temporary one, returned once.
    Their open sessions end (the password hash changes) and failed sign-ins
    are forgotten."""
    _require_admin_of(by, user, "reset the password")
    password = temporary_password()
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        clear_login_failures(user.get_username())
        audit.record(AuditAction.USER_PASSWORD_RESET, obj=user, summary=f"temporary password for {user.get_username()}",
                     user_id=by.pk)
    return password


# --- login throttling --------------------------------------------------------

def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def check_login_allowed(username: str, ip_address: str | None) -> None:
    """Refuse a sign-in attempt after too many recent failures for the same
    username or from the same address."""
    since = _window_start()
    limit = settings.LOGIN_FAILURE_LIMIT
    by_user = LoginFailure.objects.filter(username__iexact=username, at__gte=since).count()
    by_ip = LoginFailure.objects.filter(ip_address=ip_address, at__gte=since).count() if ip_address else 0
    if by_user >= limit or by_ip >= limit * 4:
        minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
        raise LoginThrottled(f"Too many failed sign-ins. Try again in {minutes} minutes or ask a supervisor.")


def record_login_failure(username: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip_address=ip_address)
    audit.record(AuditAction.LOGIN_FAILED, object_type="auth.user", object_id=username[:40], summary=f"failed sign-in for {username!r}")


def clear_login_failures(username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()


# --- API tokens --------------------------------------------------------------

def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a personal token; the raw token is returned once and never stored."""
    permissions.require(user, "api.use", "use the API")
    raw = "rp_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], digest=token_digest(raw))
    audit.record(AuditAction.API_TOKEN_CREATED, obj=token, summary=f"API token {name!r} for {user.get_username()}")
    return token, raw


def revoke_api_token(*, token: ApiToken, by) -> None:
    if token.user_id != by.pk:
        permissions.require(by, "users.admin", "revoke another person's API token")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(AuditAction.API_TOKEN_REVOKED, obj=token, summary=f"API token {token.name!r} revoked")


def authenticate_api_token(raw: str):
    """The active user for a raw token, or None."""
    if not raw or not raw.startswith("rp_"):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
