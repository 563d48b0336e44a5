"""API of the collections app: an account's collections status, field orders, arrangements,
contracts and write-offs — the same actions and checks as the console's pages."""

from __future__ import annotations

from ninja import Router

router = Router()
