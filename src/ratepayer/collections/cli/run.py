"""``ratepayer collections run --date YYYY-MM-DD [--format json|text]``

The daily collections job for a date (``collections.actions.daily``): late fees,
past-due and final notices, disconnect decisions and orders, reconnect orders,
agency-referral candidates. Running the same date again changes nothing. Prints
what was done; JSON prints the counts as one object.
"""

from __future__ import annotations

import json

from ratepayer.collections.cli.explain import parse_day

HELP = "the daily collections job for a date (late fees, notices, disconnect and reconnect orders)"


def add_arguments(parser) -> None:
    parser.add_argument("--date", required=True, help="the day to run, YYYY-MM-DD")
    parser.add_argument("--format", choices=["json", "text"], default="text")


def handle(command, options) -> None:
    from ratepayer.collections.actions import daily
    from ratepayer.staff import context

    on = parse_day(options["date"])
    with context.acting_as(user_id=None, channel="command"):
        result = daily.run(on)
    if options["format"] == "json":
        command.stdout.write(json.dumps(result.as_dict()))
        return
    rows = result.as_dict()
    command.stdout.write(f"Collections run for {rows.pop('date')}:")
    for name, value in rows.items():
        command.stdout.write(f"  {name.replace('_', ' ')}: {value}")
