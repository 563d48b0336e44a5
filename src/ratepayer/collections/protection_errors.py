"""Refusals of the protection records (heat alerts, medical certificates, disputes, winter
protection, registered landlords), worded for the clerk. Nothing was changed."""

from __future__ import annotations


class ProtectionError(Exception):
    """A protection record could not be written as asked; nothing was changed."""

    code = "protection_refused"
    http_status = 400


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
