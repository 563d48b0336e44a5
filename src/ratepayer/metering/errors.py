"""Metering errors, with messages a clerk or operator can act on. Nothing was changed."""

from __future__ import annotations

from dataclasses import dataclass


class MeteringError(Exception):
    """A metering action cannot be done as asked; nothing was changed."""


@dataclass(frozen=True)
class RowProblem:
    """One problem in an imported file: where (file, line, field) and what."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class ImportRejected(MeteringError):
    """The whole file was refused: every problem found is listed; nothing was imported."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"file rejected, nothing imported: {shown}{more}")


class AlreadyImported(MeteringError):
    """The same file (by sha256) was imported before; nothing was changed."""
