"""What the outbox offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import ADMINISTRATION, NavEntry

ENTRIES = [
    NavEntry("Outgoing e-mail", "outbox:messages", "mail.manage", order=88, menu=ADMINISTRATION),
]
