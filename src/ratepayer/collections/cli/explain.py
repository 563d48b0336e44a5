"""``ratepayer collections explain --facts FILE --date YYYY-MM-DD [--format json|text]``
and ``ratepayer collections explain ACCOUNT --date YYYY-MM-DD [--format json|text|facts]``.

Prints the disconnect decision for the date (``decide_disconnect``): allowed or not,
the deciding rule and every rule's verdict with the reason a clerk reads to the
customer. JSON is exactly ``DisconnectDecision.as_dict()``; ``--format facts`` prints
the facts instead, as a facts file (to keep, edit and try again with ``--facts``). The facts file is documented
field by field in docs/user-guide/explain-a-disconnect-decision.md; a file the command
cannot use is refused with the field named and exit status 1. An ACCOUNT is turned
into facts by ``facts_for_account(account_number, on)`` in ``ACCOUNT_FACTS_MODULE``,
looked up when needed (the protections part of collections provides it).
"""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import import_module
from pathlib import Path

from django.core.management.base import CommandError

from ratepayer.collections.disconnect_facts import facts_to_mapping, load_facts_json
from ratepayer.collections.disconnect_rules import DisconnectDecision, FactsError, decide_disconnect

HELP = "why an account may or may not be disconnected on a date (from a facts file or an account)"
ACCOUNT_FACTS_MODULE = "ratepayer.collections.facts"


def add_arguments(parser) -> None:
    parser.add_argument("account", nargs="?", help="an account number (facts built from the database)")
    parser.add_argument("--facts", metavar="FILE", help="a facts file (JSON) instead of an account")
    parser.add_argument("--date", required=True, help="the day to decide, YYYY-MM-DD")
    parser.add_argument("--format", choices=["json", "text", "facts"], default="text",
                        help="facts prints the facts decided on, as a facts file, instead of the decision")


def parse_day(text: str, what: str = "--date") -> date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip()):
        raise CommandError(f"{what}: {text!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{what}: {text!r} is not a date YYYY-MM-DD") from None


def facts_from_file(path_text: str):
    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows editors) is not an error
    except FileNotFoundError:
        raise CommandError(f"--facts: {path} does not exist") from None
    except IsADirectoryError:
        raise CommandError(f"--facts: {path} is a directory, not a facts file") from None
    except UnicodeDecodeError:
        raise CommandError(f"--facts: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise CommandError(f"--facts: {path} cannot be read ({exc.strerror})") from None
    try:
        return load_facts_json(text)
    except FactsError as exc:
        raise CommandError(f"{path}: {exc.field}: {exc.problem}") from None


def facts_from_account(account_number: str, on: date):
    try:
        module = import_module(ACCOUNT_FACTS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ACCOUNT_FACTS_MODULE:
            raise
        module = None
    builder = getattr(module, "facts_for_account", None)
    if builder is None:
        raise CommandError(f"account {account_number}: this installation cannot build facts from an account "
                           "yet; give --facts FILE (see docs/user-guide/explain-a-disconnect-decision.md)")
    return builder(account_number, on)


def render_text(decision: DisconnectDecision) -> str:
    verdict = "ALLOWED" if decision.disconnect_allowed else "NOT ALLOWED"
    lines = [f"{decision.date.isoformat()}: disconnection {verdict} (deciding rule: {decision.deciding_rule})",
             f"  {decision.deciding_reason}", "", "Every rule, in order:"]
    width = max(len(rule.rule) for rule in decision.rules)
    for rule in decision.rules:
        lines.append(f"  {rule.verdict:<14} {rule.rule:<{width}}  {rule.reason}")
    return "\n".join(lines)


def handle(command, options) -> None:
    on = parse_day(options["date"])
    if options.get("facts") and options.get("account"):
        raise CommandError("give --facts FILE or an account number, not both")
    if options.get("facts"):
        facts = facts_from_file(options["facts"])
    elif options.get("account"):
        facts = facts_from_account(options["account"], on)
    else:
        raise CommandError("give --facts FILE or an account number")
    if options["format"] == "facts":
        command.stdout.write(json.dumps(facts_to_mapping(facts), indent=2))
        return
    decision = decide_disconnect(facts, on)
    if options["format"] == "json":
        command.stdout.write(json.dumps(decision.as_dict(), indent=2))
    else:
        command.stdout.write(render_text(decision))
