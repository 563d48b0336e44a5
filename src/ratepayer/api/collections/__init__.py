"""The collections app's API, one router module per part (like the console's views/):
an account's collections status, the daily run, service orders and policy (core); protections
from disconnection (protections); payment arrangements and long-term contracts (plans);
closed accounts, agencies, write-offs and liens (writeoffs). ``ROUTERS`` mounts them."""

from . import core, plans, protections, writeoffs

ROUTERS = [
    (core.router, "collections: status, service orders, daily run, policy"),
    (protections.router, "collections: protections from disconnection"),
    (plans.router, "collections: payment arrangements and long-term contracts"),
    (writeoffs.router, "collections: closed accounts, agencies, write-offs and liens"),
]
