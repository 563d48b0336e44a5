"""The collections app's errors: messages a clerk can act on, with the field they are
about (``field``, "" for the whole request) and a stable code for the API. Nothing was
changed when one is raised. One root (``CollectionsError``); each part's refusals are a
subclass naming its own code."""

from __future__ import annotations


class CollectionsError(Exception):
    """A collections action cannot be done as asked; nothing was changed."""

    code = "collections_refused"
    http_status = 400

    def __init__(self, message: str = "", *, field: str = ""):
        self.field = field
        super().__init__(message)


# --- policy, the daily run, service orders

class PolicyError(CollectionsError):
    code = "collection_policy_refused"


class ServiceOrderError(CollectionsError):
    code = "service_order_refused"


class CollectionRunError(CollectionsError):
    code = "collections_run_refused"


# --- protections from disconnection

class ProtectionError(CollectionsError):
    """A protection record could not be written as asked; nothing was changed."""

    code = "protection_refused"


class HeatAlertsRefused(ProtectionError):
    """A heat-alert file was refused: ``problems`` lists every ``line N: field: problem``."""

    code = "file_refused"

    def __init__(self, file_name: str, problems: list[str]) -> None:
        self.file_name = file_name
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        super().__init__(f"{file_name}: refused, nothing was imported: {shown}")


class HeatAlertsAlreadyImported(ProtectionError):
    """The same file (same bytes) was imported before; nothing was changed."""

    code = "already_imported"
    http_status = 409


# --- arrangements and contracts

class ArrangementError(CollectionsError):
    code = "arrangement_refused"


class ContractError(CollectionsError):
    code = "contract_refused"


# --- closed accounts, agencies, write-offs and liens

class WriteOffError(CollectionsError):
    """A closed-account action was refused; nothing was written."""
