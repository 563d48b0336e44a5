"""What the customers app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

CUSTOMERS = "Customers"

ENTRIES = [
    NavEntry("New customer", "customers:new", "account.maintain", order=12, shortcut="c", menu=CUSTOMERS),
    NavEntry("New premise", "customers:new_premise", "account.maintain", order=13, menu=CUSTOMERS),
]
