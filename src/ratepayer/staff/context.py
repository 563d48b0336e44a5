"""Who is acting and from where, for the audit trail.

The request middleware sets it for web and API requests; management commands
set it with `acting_as`. Actions read it instead of taking the request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class ActorContext:
    user_id: int | None = None
    ip_address: str | None = None
    channel: str = "system"  # console | api | command | system


_current: contextvars.ContextVar[ActorContext] = contextvars.ContextVar(
    "ratepayer_actor", default=ActorContext()
)


def current() -> ActorContext:
    return _current.get()


@contextmanager
def acting_as(*, user_id: int | None, ip_address: str | None = None, channel: str = "command") -> Iterator[None]:
    token = _current.set(ActorContext(user_id=user_id, ip_address=ip_address, channel=channel))
    try:
        yield
    finally:
        _current.reset(token)


def set_for_request(user_id: int | None, ip_address: str | None, channel: str) -> contextvars.Token:
    return _current.set(ActorContext(user_id=user_id, ip_address=ip_address, channel=channel))


def reset(token: contextvars.Token) -> None:
    _current.reset(token)
