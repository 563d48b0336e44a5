"""Capability checks used by every action, view and API endpoint."""

from __future__ import annotations

from .errors import PermissionRefused
from .roles import CAPABILITIES, capabilities_for_roles

_CACHE_ATTR = "_ratepayer_capabilities"


def capabilities(user) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = capabilities_for_roles(set(user.groups.values_list("name", flat=True)))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def has(user, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")
    return capability in capabilities(user)


def require(user, capability: str, doing: str | None = None) -> None:
    """Raise PermissionRefused unless the user's role grants ``capability``."""
    if not has(user, capability):
        what = doing or CAPABILITIES[capability]
        name = getattr(user, "get_username", lambda: "anonymous")()
        raise PermissionRefused(f"{name} is not allowed to {what}.")


def roles_of(user) -> list[str]:
    if user is None or not user.is_authenticated:
        return []
    return sorted(user.groups.values_list("name", flat=True))
