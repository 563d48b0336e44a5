"""What the collections app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

COLLECTIONS = "Collections"

ENTRIES: list[NavEntry] = [
    NavEntry("Closed accounts", "collections:closed_accounts", "account.view", order=56, menu=COLLECTIONS),
    NavEntry("Write-offs", "collections:write_offs", "account.view", order=57, menu=COLLECTIONS),
    NavEntry("Collection agencies", "collections:agencies", "account.view", order=58, menu=COLLECTIONS),
    NavEntry("Liens", "collections:liens", "account.view", order=59, menu=COLLECTIONS),
]
