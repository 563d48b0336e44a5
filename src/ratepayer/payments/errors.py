"""Payments' exceptions, with messages a clerk can act on."""

from __future__ import annotations


class PaymentError(Exception):
    """A payment operation was refused; nothing was written."""


class ImportRefused(PaymentError):
    """A whole file was refused: ``problems`` lists every ``line N: field: problem``."""

    def __init__(self, file_name: str, problems: list[str]) -> None:
        self.file_name = file_name
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        super().__init__(f"{file_name}: refused, nothing was imported: {shown}")


class PaymentNeedsApproval(PaymentError):
    """A counter payment above the clerk's limit for its tender: nothing was
    posted; ``request`` (an ApprovalRequest) waits for another person."""

    def __init__(self, message: str, request) -> None:
        self.request = request
        super().__init__(message)
