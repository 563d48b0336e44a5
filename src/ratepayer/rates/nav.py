"""What the rates app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

# one entry, on the bar: the calculator is a button on every rates page
ENTRIES = [
    NavEntry("Rates", "rates:schedules", "account.view", order=60, shortcut="r"),
]
