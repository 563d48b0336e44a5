"""Menu entries: the ``NavEntry`` every app's ``nav.py`` declares its pages
with, and the staff pages' own entries.

Each domain app that has console pages keeps a ``nav.py`` with a module-level
``ENTRIES`` list of ``NavEntry``; the console finds them (``console.nav``
imports ``<app>.nav`` of every installed app), so no domain app imports the
console (DESIGN §3). ``NavEntry`` lives here, in the lowest layer with pages,
so every app can import it downward.

An entry is shown only when its URL name resolves and the user's role has its
capability, so a half-built app or a forbidden page never appears as a link.
Entries are grouped into menus so the bar stays one line however many apps add
pages: an entry names its ``menu`` ("" for the bar itself); a menu the user
would see with a single link is shown as that plain link.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: str
    order: int = 100
    shortcut: str = ""  # second key after "g" (g a = approvals)
    menu: str = ""  # the menu it stands in; "": on the bar itself
    label_in_menu: str = ""  # a clearer name inside its menu (a page named like the menu)


ADMINISTRATION = "Administration"

ENTRIES = [
    NavEntry("Approvals", "staff:approvals", "approval.decide", order=20, shortcut="a"),
    NavEntry("My requests", "staff:approvals", "adjustment.request", order=21),
    NavEntry("Approval limits", "staff:limits", "account.view", order=80, shortcut="l", menu=ADMINISTRATION),
    NavEntry("Staff", "staff:staff", "users.admin", order=85, shortcut="u", menu=ADMINISTRATION),
    NavEntry("Audit trail", "staff:audit", "audit.view", order=90, shortcut="t", menu=ADMINISTRATION),
]
