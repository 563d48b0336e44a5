"""``ratepayer collections explain --facts`` and ``ratepayer collections winter-plan``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ratepayer.collections.cli import explain

EXAMPLE = {
    "utility_type": "pud",
    "services": ["electric"],
    "residential": True,
    "space_heating": True,
    "nws_zone": "WAZ558",
    "heat_alert_days": {"WAZ558": ["2027-07-14"], "WAZ559": ["2027-07-13"]},
    "past_due_balance": "212.40",
    "minimum_balance_for_disconnect": "75.00",
    "final_notice": {"served_on": "2027-06-28", "valid_from": "2027-07-08", "expires_on": "2027-07-22"},
    "at": "10:30",
}


def write(tmp_path: Path, data, name: str = "facts.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def explain_json(path: str, day: str) -> dict:
    out = StringIO()
    call_command("collections", "explain", "--facts", path, "--date", day, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_explain_prints_the_decision_as_json(tmp_path):
    path = write(tmp_path, EXAMPLE)
    # Tue 2027-07-13: the alert is for the other zone; nothing blocks.
    result = explain_json(path, "2027-07-13")
    assert result["disconnect_allowed"] is True and result["deciding_rule"] == "all_clear"
    assert set(result) == {"date", "disconnect_allowed", "deciding_rule", "rules"}
    # Wed 2027-07-14: the premise's own zone has a heat alert.
    result = explain_json(path, "2027-07-14")
    assert result["disconnect_allowed"] is False and result["deciding_rule"] == "heat_alert"
    assert result["rules"][0]["verdict"] == "blocks" and "WAZ558" in result["rules"][0]["reason"]


def test_explain_as_text_leads_with_the_decision_and_the_reason(tmp_path):
    out = StringIO()
    call_command("collections", "explain", "--facts", write(tmp_path, EXAMPLE), "--date", "2027-07-16",
                 stdout=out)
    text = out.getvalue()
    assert text.startswith("2027-07-16: disconnection NOT ALLOWED (deciding rule: business_day)")
    assert "Friday" in text.splitlines()[1]
    assert text.count("\n  ") >= 12  # the deciding reason and every rule


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON at line 1"),
    ("[]", "file: must be a JSON object"),
    ({**EXAMPLE, "dispute_opn": True}, "dispute_opn: is not a facts field"),
    ({key: value for key, value in EXAMPLE.items() if key != "residential"}, "residential: is required"),
    ({**EXAMPLE, "residential": "yes"}, "residential: must be true or false"),
    ({**EXAMPLE, "past_due_balance": "212.405"}, "past_due_balance: '212.405' has more than two decimals"),
    ({**EXAMPLE, "past_due_balance": 212.405}, "past_due_balance: '212.405' has more than two decimals"),
    ({**EXAMPLE, "final_notice": {"served_on": "2027-06-28", "valid_from": "2027-07-08",
                                  "expires_on": "2027-07-32"}}, "final_notice.expires_on: '2027-07-32'"),
    ({**EXAMPLE, "final_notice": {"served_on": "2027-06-28", "valid_from": "2027-07-08"}},
     "final_notice.expires_on: is required"),
    ({**EXAMPLE, "medical_certificates": [{"received_on": "2027-07-01"}, {"certified_on": "2027-07-02"}]},
     "medical_certificates[1].received_on: is required"),
    ({**EXAMPLE, "heat_alert_days": {"WAZ558": ["14 July"]}}, "heat_alert_days.WAZ558[0]"),
    ({**EXAMPLE, "disconnect_weekdays": ["monday", "fri"]}, "disconnect_weekdays[1]"),
    ({**EXAMPLE, "at": "9:30"}, "at: must be a time HH:MM"),
    ({**EXAMPLE, "services": ["gas"]}, "services[0]: 'gas' is not one of electric, water, sewer"),
    ({**EXAMPLE, "winter_request": {"notified_on": "2027-11-18", "income": "1806.00"}},
     "winter_request.income: is not a facts field"),
])
def test_a_bad_facts_file_is_refused_naming_the_field(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(CommandError) as refused:
        call_command("collections", "explain", "--facts", path, "--date", "2027-07-13", stdout=StringIO())
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)


def test_a_missing_file_or_a_bad_date_is_refused(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("collections", "explain", "--facts", str(tmp_path / "nope.json"), "--date", "2027-07-13")
    with pytest.raises(CommandError, match="--date: '2027-7-13' is not a date YYYY-MM-DD"):
        call_command("collections", "explain", "--facts", write(tmp_path, EXAMPLE), "--date", "2027-7-13")


def test_explain_needs_facts_or_an_account(tmp_path):
    with pytest.raises(CommandError, match="^give --facts FILE or an account number$"):
        call_command("collections", "explain", "--date", "2027-07-13")
    with pytest.raises(CommandError, match="not both"):
        call_command("collections", "explain", "1001", "--facts", write(tmp_path, EXAMPLE), "--date", "2027-07-13")


def test_an_account_is_explained_through_the_builder_when_it_exists(monkeypatch, tmp_path):
    """The ACCOUNT path calls ``facts_for_account`` of ``ACCOUNT_FACTS_MODULE``; until that
    module exists the command says so and points at --facts."""
    monkeypatch.setattr(explain, "ACCOUNT_FACTS_MODULE", "ratepayer.collections.no_such_module")
    with pytest.raises(CommandError, match="account 1001: .* give --facts FILE"):
        call_command("collections", "explain", "1001", "--date", "2027-07-13")
    from ratepayer.collections.disconnect_facts import facts_from_mapping

    seen = []
    fake = type(sys)("fake_gating")
    fake.facts_for_account = lambda number, on: seen.append((number, on)) or facts_from_mapping(EXAMPLE)
    monkeypatch.setitem(sys.modules, "fake_gating", fake)
    monkeypatch.setattr(explain, "ACCOUNT_FACTS_MODULE", "fake_gating")
    out = StringIO()
    call_command("collections", "explain", "1001", "--date", "2027-07-14", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["deciding_rule"] == "heat_alert"
    assert [(number, on.isoformat()) for number, on in seen] == [("1001", "2027-07-14")]


def test_the_command_line_exits_non_zero_without_a_traceback(tmp_path):
    path = write(tmp_path, {**EXAMPLE, "final_notice": {"served_on": "2027-06-28"}})
    env = {**os.environ, "RATEPAYER_TESTING": "1", "RATEPAYER_DATABASE_URL": ""}
    ratepayer = Path(sys.executable).with_name("ratepayer")
    done = subprocess.run([str(ratepayer), "collections", "explain", "--facts", path, "--date", "2027-07-13"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert "final_notice.valid_from: is required when a final notice is given" in done.stderr


def test_winter_plan_prints_the_ceiling():
    out = StringIO()
    call_command("collections", "winter-plan", "--monthly-income", "2150.00", "--arrears", "312.40",
                 "--application-date", "2026-11-20", "--format", "json", stdout=out)
    plan = json.loads(out.getvalue())
    # 7% of $2,150.00 = $150.50, plus $312.40 / 12 = $26.03 (26.0333), ceiling $176.53.
    assert (plan["seven_percent_of_income"], plan["arrears_twelfth"], plan["ceiling"]) == ("150.50", "26.03",
                                                                                          "176.53")
    assert plan["payoff_by"] == "2027-10-15"
    out = StringIO()
    call_command("collections", "winter-plan", "--monthly-income", "2150", "--arrears", "0", stdout=out)
    assert "Ceiling (the most a plan may require a month): $150.50" in out.getvalue()


@pytest.mark.parametrize("args, message", [
    (["--monthly-income", "2,150.00", "--arrears", "0"], "--monthly-income: '2,150.00' has a comma"),
    (["--monthly-income", "2150", "--arrears", "-5"], "--arrears: '-5' is negative"),
    (["--monthly-income", "2150", "--arrears", "0", "--application-date", "Nov 20"], "--application-date"),
])
def test_winter_plan_refuses_bad_input(args, message):
    with pytest.raises(CommandError) as refused:
        call_command("collections", "winter-plan", *args, stdout=StringIO())
    assert message in str(refused.value)


def test_the_user_guides_example_is_the_one_tested_here():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "explain-a-disconnect-decision.md")
    text = guide.read_text(encoding="utf-8")
    example = text.split("### An example facts file", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(example) == EXAMPLE
    documented = {field for field in re.findall(r"^\| `([a-z_0-9]+)` \|", text, re.MULTILINE)}
    from ratepayer.collections import disconnect_facts
    fields = (disconnect_facts._TOP | disconnect_facts._WINTER | disconnect_facts._MEDICAL)
    assert fields <= documented, f"not documented: {sorted(fields - documented)}"


def test_format_facts_prints_a_facts_file_that_decides_the_same(tmp_path):
    out = StringIO()
    call_command("collections", "explain", "--facts", write(tmp_path, EXAMPLE), "--date", "2027-07-14",
                 "--format", "facts", stdout=out)
    printed = json.loads(out.getvalue())
    # The zone map is narrowed to the premise's zone; defaults are written out.
    assert printed["heat_alert_days"] == ["2027-07-14"]
    assert printed["disconnect_weekdays"] == ["monday", "tuesday", "wednesday", "thursday"]
    again = write(tmp_path, printed, "again.json")
    for day in ("2027-07-13", "2027-07-14", "2027-07-16"):
        assert explain_json(again, day) == explain_json(write(tmp_path, EXAMPLE), day)


def test_a_facts_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes("\ufeff".encode() + json.dumps(EXAMPLE).encode())
    assert explain_json(str(path), "2027-07-14")["deciding_rule"] == "heat_alert"
    (tmp_path / "latin1.json").write_bytes(json.dumps(EXAMPLE).replace("WAZ558", "Zoné").encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        call_command("collections", "explain", "--facts", str(tmp_path / "latin1.json"), "--date", "2027-07-14")
