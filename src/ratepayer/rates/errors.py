"""Errors of the rates app, with messages a supervisor can act on."""

from __future__ import annotations


class RatesError(Exception):
    """A rate schedule or version request that cannot be carried out. Nothing was changed."""


class DocumentError(RatesError):
    """A tariff document that cannot be used; ``field`` is the dotted path and
    ``line`` the YAML line it is written on, when known."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None):
        super().__init__(message)
        self.field = field
        self.line = line


class CalculatorError(RatesError):
    """Usage or a load file the rate calculator cannot rate."""
