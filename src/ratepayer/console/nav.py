"""The console's main navigation, gathered from the apps.

Each app declares its pages in its own ``nav.py`` (a module-level ``ENTRIES``
list of ``ratepayer.staff.nav.NavEntry``); ``discover()``, called from the
console's AppConfig.ready, imports ``<app>.nav`` of every installed app and
adds its entries to ``ENTRIES`` here. A domain app never imports the console
(DESIGN §3): a new app adds a ``nav.py`` and nothing else.

An entry is shown only when its URL name resolves and the user's role has its
capability, so a half-built app or a forbidden page never appears as a link.
Entries are grouped into the menu they name, so the bar stays one line however
many apps add pages; a menu the user would see with a single link is shown as
that plain link.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import module_has_submodule

from ratepayer.staff import permissions
from ratepayer.staff.nav import NavEntry

__all__ = ["ENTRIES", "NavEntry", "NavLink", "NavMenu", "bar_for", "discover", "links_for"]

# the console's own pages; discover() adds every app's
CONSOLE_ENTRIES = [
    NavEntry("Home", "console:home", "account.view", order=0, shortcut="h"),
    NavEntry("Search", "console:search", "account.view", order=10, shortcut="s"),
]
ENTRIES: list[NavEntry] = list(CONSOLE_ENTRIES)
_discovered: set[str] = set()


def discover() -> None:
    """Add the ``ENTRIES`` of each installed app's ``nav`` module (once per app)."""
    for config in apps.get_app_configs():
        if config.name in _discovered or config.name == __package__:
            continue
        _discovered.add(config.name)
        if not module_has_submodule(config.module, "nav"):
            continue
        module = import_module(f"{config.name}.nav")
        ENTRIES.extend(getattr(module, "ENTRIES", ()))


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


# links_for's answers by (capabilities, entries, URL configuration): every page
# draws the bar, and reversing each entry's URL name each time was most of its cost
_LINKS_CACHE: dict[tuple, tuple[NavLink, ...]] = {}
_LINKS_CACHE_SIZE = 64


def links_for(user) -> list[NavLink]:
    """The entries this user may follow, in order, one link per URL."""
    caps = permissions.capabilities(user)
    key = (caps, tuple(ENTRIES), get_urlconf(), get_script_prefix())
    cached = _LINKS_CACHE.get(key)
    if cached is None:
        if len(_LINKS_CACHE) >= _LINKS_CACHE_SIZE:
            _LINKS_CACHE.clear()
        cached = _LINKS_CACHE[key] = tuple(_links(caps))
    return list(cached)


def _links(caps: frozenset[str]) -> list[NavLink]:
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
        links.append(NavLink(entry.label, url, entry.shortcut, entry.menu, entry.label_in_menu or entry.label))
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
