"""Console pages of the collections app, one module per part: the worklist, the daily run,
the account's collections tab, service orders and policy (core); protections from
disconnection (protections, with its panel on the tab); payment arrangements and long-term
contracts (plans); closed accounts, agencies, write-offs and liens (writeoffs). Each page is
behind ``staff.views.staff_page``; the URLs are in ``collections/urls.py``."""
