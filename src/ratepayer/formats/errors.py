"""Errors shared by the file-format readers (NACHA, BAI2, lockbox, scan line, Green Button).

Every problem names where it is: the file (when known), the 1-based physical line,
and the field. ``str()`` of a problem is the operator-facing form
``line N: field: what is wrong`` (``field: what is wrong`` when there is no line),
which is what ``ratepayer ach check`` prints, one per line.

Readers are atomic in spirit: they parse the whole file and either return a result
or raise :class:`FormatError` (a single problem) / :class:`ReportError` (a
:class:`ValidationReport` carrying every problem found). A half-parsed result is
never presented as good.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


class FormatError(ValueError):
    """One problem in a file: where it is and what is wrong."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str = "",
        file: str | None = None,
        severity: str = ERROR,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field
        self.file = file
        self.severity = severity

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    def __repr__(self) -> str:
        return f"FormatError({str(self)!r}, severity={self.severity!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FormatError):
            return NotImplemented
        return (self.line, self.field, self.message, self.severity) == (
            other.line,
            other.field,
            other.message,
            other.severity,
        )

    def __hash__(self) -> int:
        return hash((self.line, self.field, self.message, self.severity))


@dataclass
class ValidationReport:
    """Collects every problem found in a file instead of stopping at the first.

    Errors make a file invalid; warnings are tolerated deviations (for example a
    right-trimmed NACHA record) that an operator may want to see.
    """

    file: str | None = None
    problems: list[FormatError] = field(default_factory=list)

    def error(self, line: int | None, field_name: str, message: str) -> None:
        self.problems.append(FormatError(message, line=line, field=field_name, file=self.file))

    def warning(self, line: int | None, field_name: str, message: str) -> None:
        self.problems.append(
            FormatError(message, line=line, field=field_name, file=self.file, severity=WARNING)
        )

    def add(self, problem: FormatError) -> None:
        if problem.file is None:
            problem.file = self.file
        self.problems.append(problem)

    @property
    def errors(self) -> list[FormatError]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[FormatError]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __bool__(self) -> bool:  # a report is truthy when the file is valid
        return self.ok

    def __iter__(self) -> Iterator[FormatError]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def lines(self) -> list[str]:
        """Every error as ``line N: field: what is wrong``, in file order."""
        return [str(p) for p in self.errors]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ReportError(self)


class ReportError(FormatError):
    """Raised when a file has one or more errors; carries the whole report."""

    def __init__(self, report: ValidationReport) -> None:
        first = report.errors[0]
        super().__init__(first.message, line=first.line, field=first.field, file=report.file)
        self.report = report

    def __str__(self) -> str:
        return "\n".join(self.report.lines())
