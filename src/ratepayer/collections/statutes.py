"""Statutory ceilings a collection policy may not exceed (DOMAIN §A.3–A.5),
each with the statute that sets it, so a refusal can name it.

Pure: no Django. ``check_policy`` takes the policy's values as a mapping and
returns the breaches, each the field and a sentence naming the value, the
ceiling and the statute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Ceiling:
    field: str
    statute: str
    words: str


# Water-sewer districts: "penalties … not more than ten percent of the amount of the charge" (RCW 57.08.081(3)).
WATER_SEWER_PENALTY_PERCENT = Decimal("10")
# Lien interest "not more than the prime lending rate of the district's bank plus four percentage points" (same).
LIEN_INTEREST_OVER_PRIME = Decimal("4")
# Connection charges "in installments over a period not exceeding fifteen years" (RCW 57.08.005(11)).
CONNECTION_CONTRACT_MONTHS = 180
# Conservation loans "shall not exceed two hundred forty months in length" (RCW 54.16.280).
CONSERVATION_LOAN_MONTHS = 240
# Public bodies may assign a debt to an agency only 30 days after warning the debtor (RCW 19.16.500).
AGENCY_NOTICE_DAYS = 30

PENALTY = Ceiling(
    "late_fee_percent",
    "RCW 57.08.081(3)",
    "a water-sewer district's late penalty is at most 10 % of the delinquent charge",
)
LIEN = Ceiling(
    "lien_interest_percent",
    "RCW 57.08.081(3)",
    "lien interest is at most the prime lending rate of the district's bank plus 4 percentage points",
)
CONTRACT = Ceiling(
    "contract_max_months",
    "RCW 57.08.005(11)",
    "connection charges may be paid in installments over at most 15 years (180 months)",
)
LOAN = Ceiling("conservation_loan_max_months", "RCW 54.16.280", "conservation loans may not exceed 240 months")


def check_policy(values: Mapping) -> list[tuple[str, str]]:
    """The statutory breaches of a policy's values as (field, sentence);
    empty when lawful."""
    problems: list[tuple[str, str]] = []
    water_sewer = values.get("utility_type") == "water_sewer"
    kind = values.get("late_fee_kind", "flat")
    percent = Decimal(values.get("late_fee_percent") or 0)
    if water_sewer:
        if kind in ("percent", "greater") and percent > WATER_SEWER_PENALTY_PERCENT:
            problems.append(("late_fee_percent", f"Late fee percent {percent} %: {PENALTY.words} ({PENALTY.statute})."))
        if kind in ("flat", "greater") and Decimal(values.get("late_fee_flat") or 0) > 0:
            problems.append(
                (
                    "late_fee_kind",
                    f"Late fee kind {kind}: {PENALTY.words}, so a flat amount could exceed it; "
                    f"use a percent of at most 10 ({PENALTY.statute}).",
                )
            )
        lien = Decimal(values.get("lien_interest_percent") or 0)
        prime = Decimal(values.get("prime_rate_percent") or 0)
        if lien > prime + LIEN_INTEREST_OVER_PRIME:
            problems.append(
                (
                    "lien_interest_percent",
                    f"Lien interest {lien} % is more than prime {prime} % + 4 = "
                    f"{prime + LIEN_INTEREST_OVER_PRIME} %: {LIEN.words} ({LIEN.statute}).",
                )
            )
        months = int(values.get("contract_max_months") or 0)
        if months > CONNECTION_CONTRACT_MONTHS:
            problems.append(
                ("contract_max_months", f"Longest contract {months} months: {CONTRACT.words} ({CONTRACT.statute}).")
            )
    loan = int(values.get("conservation_loan_max_months") or 0)
    if loan > CONSERVATION_LOAN_MONTHS:
        problems.append(
            ("conservation_loan_max_months", f"Longest conservation loan {loan} months: {LOAN.words} ({LOAN.statute}).")
        )
    if percent < 0 or Decimal(values.get("late_fee_flat") or 0) < 0:
        problems.append(("late_fee_percent", "Late fee: an amount or percent cannot be negative."))
    if percent > 100:
        problems.append(("late_fee_percent", f"Late fee percent {percent} %: a percent is at most 100."))
    return problems
