"""What the payments app offers the console's navigation."""

# The back office's own row of links under the bar (payments/_subnav.html).
BACK_OFFICE_PAGES = [("payments:files", "Files"), ("payments:phone", "Pay-by-phone"),
                     ("payments:suspense", "Suspense"), ("payments:returns", "Returned payments"),
                     ("payments:represent", "Re-presentment"), ("payments:reconciliation", "Bank reconciliation"),
                     ("payments:autopay", "Autopay"), ("payments:security_deposits", "Security deposits"),
                     ("payments:refunds", "Refunds"), ("payments:unclaimed", "Unclaimed property"),
                     ("payments:reports", "Reports")]
