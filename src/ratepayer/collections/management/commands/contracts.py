"""``ratepayer contracts schedule --principal N --annual-rate PCT --months N --start YYYY-MM-DD
[--kind sewer_connection|conservation_loan|past_due] --format json|text`` — the amortization
schedule of a long-term contract (collections.amortization; no database needed).

``ratepayer contracts quote CONTRACT_ID --date YYYY-MM-DD --format json|text`` — the payoff
quote of a stored contract on a date.

A term longer than the law allows for the kind (180 months for a sewer connection charge,
RCW 57.08.005(11); 240 for a conservation loan, RCW 54.16.280) is refused: the message names
the statute and the command exits with status 1, printing nothing on stdout.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratepayer.collections import amortization
from ratepayer.kernel.money import MoneyError, parse_amount

KINDS = ["past_due", "sewer_connection", "conservation_loan"]


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from exc


def _rate(text: str) -> Decimal:
    if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,4})?", text.strip()):
        raise CommandError(f"--annual-rate: {text!r} is not a percentage like 5 or 5.25 (at most 4 decimals)")
    return Decimal(text.strip())


class Command(BaseCommand):
    help = "Long-term contracts: print an amortization schedule, or a stored contract's payoff quote."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sched = sub.add_parser("schedule", help="print the level-payment schedule (no database)")
        sched.add_argument("--principal", required=True)
        sched.add_argument("--annual-rate", required=True, help="percent per year, e.g. 5.25")
        sched.add_argument("--months", required=True, type=int)
        sched.add_argument("--start", required=True, help="the first installment's due date")
        sched.add_argument("--kind", choices=KINDS, default="past_due")
        sched.add_argument("--format", choices=["json", "text"], default="text")
        quote = sub.add_parser("quote", help="payoff quote of a stored contract on a date")
        quote.add_argument("contract_id", type=int)
        quote.add_argument("--date", required=True)
        quote.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "schedule":
            self._schedule(options)
        else:
            self._quote(options)

    def _schedule(self, options: dict) -> None:
        try:
            principal = parse_amount(options["principal"], what="--principal")
            rate = _rate(options["annual_rate"])
            start = _date(options["start"], "--start")
            principal, rate = amortization.check_terms(principal=principal, annual_rate=rate,
                                                       months=options["months"], kind=options["kind"])
        except MoneyError as exc:
            raise CommandError(str(exc)) from exc
        except amortization.AmortizationError as exc:
            raise CommandError(f"--{exc.field.replace('_', '-')}: {exc}") from exc
        rows = amortization.schedule(principal, rate, options["months"], start)
        totals = {"payments": sum((r.payment for r in rows), amortization.ZERO),
                  "principal": sum((r.principal for r in rows), amortization.ZERO),
                  "interest": sum((r.interest for r in rows), amortization.ZERO)}
        if options["format"] == "json":
            self.stdout.write(json.dumps({
                "kind": options["kind"], "principal": str(principal), "annual_rate": str(rate),
                "months": options["months"], "start": start.isoformat(),
                "level_payment": str(rows[0].payment), "installments": [r.as_dict() for r in rows],
                "totals": {k: str(v) for k, v in totals.items()},
                "interest_rule": "monthly: balance x annual rate / 1200, half-up to the cent; "
                                 "the last installment absorbs the rounding",
            }, indent=2))
            return
        self.stdout.write(f"{options['kind']}: {principal} at {rate}% over {options['months']} months, "
                          f"level payment {rows[0].payment}")
        self.stdout.write(f"{'#':>4} {'due':<10} {'payment':>12} {'principal':>12} {'interest':>10} {'balance':>12}")
        for r in rows:
            self.stdout.write(f"{r.number:>4} {r.due_date.isoformat():<10} {r.payment:>12} {r.principal:>12} "
                              f"{r.interest:>10} {r.balance_after:>12}")
        self.stdout.write(f"totals: payments {totals['payments']}, principal {totals['principal']}, "
                          f"interest {totals['interest']}")

    def _quote(self, options: dict) -> None:
        from ratepayer.collections.actions import contracts
        from ratepayer.collections.models import LongTermContract

        on = _date(options["date"], "--date")
        contract = LongTermContract.objects.filter(pk=options["contract_id"]).first()
        if contract is None:
            raise CommandError(f"contract {options['contract_id']}: no such contract")
        quote = contracts.payoff_quote(contract, on)
        if options["format"] == "json":
            self.stdout.write(json.dumps({"contract": contract.pk, **quote.as_dict()}, indent=2))
        else:
            self.stdout.write(f"Contract #{contract.pk} payoff on {on}: principal {quote.principal_outstanding} "
                              f"+ interest {quote.interest_accrued} (since {quote.interest_since}) = {quote.total}")
