"""``ratepayer collections winter-plan --monthly-income N --arrears N
[--application-date YYYY-MM-DD] [--format json|text]``

Prints the winter-protection plan ceiling of RCW 54.16.285(1)(e): 7 % of monthly
income plus 1/12 of the arrears accrued since the application, the most a plan may
require a month; with the application date, the October 15 by which the past-due bill
is paid and the number of monthly installments until then. No database needed.
"""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from ratepayer.collections.cli.explain import parse_day
from ratepayer.collections.winter_plan import winter_plan
from ratepayer.kernel.money import AmountRefused, format_money, parse_amount

HELP = "the winter-protection payment plan ceiling (7% of monthly income + arrears/12)"


def add_arguments(parser) -> None:
    parser.add_argument("--monthly-income", required=True, help="household income a month, e.g. 2150.00")
    parser.add_argument("--arrears", required=True, help="arrears accrued since the application, e.g. 312.40")
    parser.add_argument("--application-date", help="the day the customer applied, YYYY-MM-DD")
    parser.add_argument("--format", choices=["json", "text"], default="text")


def handle(command, options) -> None:
    try:
        income = parse_amount(options["monthly_income"], what="--monthly-income")
        arrears = parse_amount(options["arrears"], what="--arrears")
    except AmountRefused as exc:
        raise CommandError(str(exc)) from None
    applied = parse_day(options["application_date"], "--application-date") if options.get("application_date") \
        else None
    plan = winter_plan(income, arrears, applied)
    if options["format"] == "json":
        command.stdout.write(json.dumps(plan.as_dict(), indent=2))
        return
    lines = [
        f"7% of monthly income {format_money(plan.monthly_income)}: {format_money(plan.seven_percent_of_income)}",
        f"1/12 of arrears since application {format_money(plan.arrears_since_application)}: "
        f"{format_money(plan.arrears_twelfth)}",
        f"Ceiling (the most a plan may require a month): {format_money(plan.ceiling)}",
    ]
    if plan.payoff_by:
        lines.append(f"Past-due bill paid by {plan.payoff_by.isoformat()} "
                     f"({plan.installments_to_payoff} monthly installments from the application)")
    lines.append("A customer paying at least the ceiling is not in default, even if they agreed to pay more "
                 "(RCW 54.16.285(1)(e)).")
    command.stdout.write("\n".join(lines))
