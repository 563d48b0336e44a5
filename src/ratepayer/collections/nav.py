"""What the collections app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

COLLECTIONS = "Collections"

ENTRIES: list[NavEntry] = [
    NavEntry("Payment arrangements", "collections:arrangements", "account.view", order=62, menu=COLLECTIONS),
    NavEntry("Long-term contracts", "collections:contracts", "account.view", order=63, menu=COLLECTIONS),
]
