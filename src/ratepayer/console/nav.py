"""The console's main navigation.

Other apps add their own pages by appending to ``ENTRIES`` (usually from their
AppConfig.ready)::

    from ratepayer.console.nav import ENTRIES, NavEntry
    ENTRIES.append(NavEntry("Bill runs", "billing:runs", "billing.run", order=40))

An entry is shown only when its URL name resolves and the user's role has its
capability, so a half-built app or a forbidden page never appears as a link.

Entries are grouped into menus so the bar stays one line however many apps
add pages: an entry names its ``menu``, or falls in the menu of its app
(``MENU_OF_APP``, by URL namespace). A menu the user would see with a single
link is shown as that plain link.
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
    menu: str | None = None  # None: the app's menu (MENU_OF_APP); "": top level


ADMINISTRATION = "Administration"

ENTRIES: list[NavEntry] = [
    NavEntry("Home", "console:home", "account.view", order=0, shortcut="h"),
    NavEntry("Search", "console:search", "account.view", order=10, shortcut="s"),
    NavEntry("Approvals", "staff:approvals", "approval.decide", order=20, shortcut="a"),
    NavEntry("My requests", "staff:approvals", "adjustment.request", order=21),
    NavEntry("Approval limits", "staff:limits", "account.view", order=80, shortcut="l", menu=ADMINISTRATION),
    NavEntry("Staff", "staff:staff", "users.admin", order=85, shortcut="u", menu=ADMINISTRATION),
    NavEntry("Audit trail", "staff:audit", "audit.view", order=90, shortcut="t", menu=ADMINISTRATION),
]

# Menus of the apps' pages, by URL namespace; a page that is the first stop
# of many people (the cashier, the rates list) stays on the bar.
MENU_OF_APP = {"payments": "Payments", "billing": "Billing", "metering": "Meter reading"}
TOP_LEVEL = {"payments:cashier", "rates:schedules"}
# A menu's page named like the menu gets a clearer name inside it.
LABEL_IN_MENU = {"billing:calendar": "Bill calendar"}


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    shortcut: str
    menu: str = ""
    label_in_menu: str = ""


@dataclass(frozen=True)
class NavMenu:
    label: str
    links: tuple[NavLink, ...]
    current: bool = False  # the page shown is one of its links

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.label.lower())


def _menu_of(entry: NavEntry) -> str:
    if entry.menu is not None:
        return entry.menu
    if entry.url_name in TOP_LEVEL:
        return ""
    return MENU_OF_APP.get(entry.url_name.partition(":")[0], "")


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
        links.append(NavLink(entry.label, url, entry.shortcut, _menu_of(entry),
                             LABEL_IN_MENU.get(entry.url_name, entry.label)))
    return links


def bar_for(links: list[NavLink], path: str = "") -> list[NavLink | NavMenu]:
    """The bar: top-level links and menus, each menu where its first page
    would stand; a menu of one page is that page's link."""
    grouped: dict[str, list[NavLink]] = {}
    for link in links:
        if link.menu:
            grouped.setdefault(link.menu, []).append(link)
    bar: list[NavLink | NavMenu] = []
    for link in links:
        if not link.menu:
            bar.append(link)
        elif grouped[link.menu][0] is link:
            members = grouped[link.menu]
            bar.append(NavMenu(link.menu, tuple(members), any(m.url == path for m in members))
                       if len(members) > 1 else link)
    return bar
