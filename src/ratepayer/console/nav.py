"""The console's main navigation.

Other apps add their own pages by appending to ``ENTRIES`` (usually from their
AppConfig.ready)::

    from ratepayer.console.nav import ENTRIES, NavEntry
    ENTRIES.append(NavEntry("Bill runs", "billing:runs", "billing.run", order=40))

An entry is shown only when its URL name resolves and the user's role has its
capability, so a half-built app or a forbidden page never appears as a link.
(Console sits on top of every app, so this is the one place apps may import
from it: a list to append to, nothing else.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from ratepayer.staff import permissions


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: str
    order: int = 100
    shortcut: str = ""  # second key after "g" (g a = approvals)


ENTRIES: list[NavEntry] = [
    NavEntry("Home", "console:home", "account.view", order=0, shortcut="h"),
    NavEntry("Search", "console:search", "account.view", order=10, shortcut="s"),
    NavEntry("Approvals", "console:approvals", "approval.decide", order=20, shortcut="a"),
    NavEntry("My requests", "console:approvals", "adjustment.request", order=21),
    NavEntry("Approval limits", "console:limits", "account.view", order=80, shortcut="l"),
    NavEntry("Audit trail", "console:audit", "audit.view", order=90, shortcut="t"),
]


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    shortcut: str


def links_for(user) -> list[NavLink]:
    """The entries this user may follow, in order, one link per URL."""
    caps = permissions.capabilities(user)
    links: list[NavLink] = []
    seen: set[str] = set()
    for entry in sorted(ENTRIES, key=lambda e: (e.order, e.label)):
        if entry.capability not in caps:
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        if url in seen:
            continue
        seen.add(url)
        links.append(NavLink(entry.label, url, entry.shortcut))
    return links
