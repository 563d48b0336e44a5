"""What the billing app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

BILLING = "Billing"

ENTRIES = [
    NavEntry("Billing", "billing:calendar", "account.view", order=40, shortcut="b", menu=BILLING,
             label_in_menu="Bill calendar"),
    NavEntry("Review queue", "billing:review", "billing.run", order=41, shortcut="q", menu=BILLING),
    NavEntry("Billing policy", "billing:policy", "account.view", order=42, menu=BILLING),
]
