"""What the payments app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

PAYMENTS = "Payments"

# The cashier is the first stop of many people: it stays on the bar.
ENTRIES = [
    NavEntry("Cashier", "payments:cashier", "payment.take", order=30, shortcut="c"),
    NavEntry("Drawers & deposits", "payments:drawers", "payment.take", order=31, menu=PAYMENTS),
    NavEntry("Payment files", "payments:files", "payment.manage", order=32, menu=PAYMENTS),
    NavEntry("Bank reconciliation", "payments:reconciliation", "payment.manage", order=35, menu=PAYMENTS),
    NavEntry("Security deposits", "payments:security_deposits", "payment.take", order=36, menu=PAYMENTS),
    NavEntry("Refunds", "payments:refunds", "payment.manage", order=37, menu=PAYMENTS),
    NavEntry("Cash reports", "payments:reports", "payment.take", order=38, menu=PAYMENTS),
]

# The back office's own row of links under the bar (payments/_subnav.html).
BACK_OFFICE_PAGES = [("payments:files", "Files"), ("payments:phone", "Pay-by-phone"),
                     ("payments:suspense", "Suspense"), ("payments:returns", "Returned payments"),
                     ("payments:represent", "Re-presentment"), ("payments:reconciliation", "Bank reconciliation"),
                     ("payments:autopay", "Autopay"), ("payments:security_deposits", "Security deposits"),
                     ("payments:refunds", "Refunds"), ("payments:unclaimed", "Unclaimed property"),
                     ("payments:reports", "Reports")]
