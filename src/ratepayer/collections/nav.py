"""What the collections app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

COLLECTIONS = "Collections"

ENTRIES: list[NavEntry] = [
    NavEntry("Collections worklist", "collections:worklist", "account.view", order=50, shortcut="k",
             menu=COLLECTIONS),
    NavEntry("Service orders", "collections:board", "account.view", order=51, menu=COLLECTIONS),
    NavEntry("Collection policy", "collections:collection_policy", "account.view", order=60, menu=COLLECTIONS),
    NavEntry("Closed accounts", "collections:closed_accounts", "account.view", order=56, menu=COLLECTIONS),
    NavEntry("Write-offs", "collections:write_offs", "account.view", order=57, menu=COLLECTIONS),
    NavEntry("Collection agencies", "collections:agencies", "account.view", order=58, menu=COLLECTIONS),
    NavEntry("Liens", "collections:liens", "account.view", order=59, menu=COLLECTIONS),
    NavEntry("Protections", "collections:protections", "account.view", order=53, menu=COLLECTIONS),
    NavEntry("Heat-alert days", "collections:heat_alerts", "account.view", order=54, menu=COLLECTIONS),
    NavEntry("Payment arrangements", "collections:arrangements", "account.view", order=62, menu=COLLECTIONS),
    NavEntry("Long-term contracts", "collections:contracts", "account.view", order=63, menu=COLLECTIONS),
]
