"""What the collections app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

COLLECTIONS = "Collections"

ENTRIES: list[NavEntry] = []
