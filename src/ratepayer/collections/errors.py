"""The collections app's errors: messages a clerk can act on, with the field they are
about (``field``, "" for the whole request) and a stable code for the API."""

from __future__ import annotations


class CollectionsError(Exception):
    """A collections action cannot be done as asked; nothing was changed."""

    code = "collections_refused"

    def __init__(self, message: str, *, field: str = ""):
        self.field = field
        super().__init__(message)


class ArrangementError(CollectionsError):
    code = "arrangement_refused"


class ContractError(CollectionsError):
    code = "contract_refused"
