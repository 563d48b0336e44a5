"""The ``ratepayer rate`` command: the operator contract (no database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "ratepayer" / "rating" / "examples"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
COASTAL = SHARED / "greenbutton" / "Coastal_Multi_Family_Jan_1_2011_to_Jan_1_2012_RetailCustomer_5.xml"

URDB_TIERED = {
    "label": "domain-c6-tiered", "name": "Tiered", "fixedchargefirstmeter": 15.0, "fixedchargeunits": "$/month",
    "mincharge": 20.0, "minchargeunits": "$/month",
    "energyratestructure": [[{"max": 1000, "rate": 0.09, "adj": 0.002}, {"rate": 0.11}]],
    "energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12,
}


def run(*args: str) -> dict:
    out = StringIO()
    call_command("rate", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def csv_load(tmp_path):
    # Jan-Feb 2018, 15-minute: 1.25 kWh 07:00-21:00, else 0.5 kWh
    path = tmp_path / "load.csv"
    rows = ["start,kwh"]
    t = datetime(2018, 1, 1)
    while t < datetime(2018, 3, 1):
        rows.append(f"{t.isoformat(timespec='minutes')},{'1.25' if 7 <= t.hour < 21 else '0.5'}")
        t += timedelta(minutes=15)
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_load_billed_by_calendar_month(csv_load):
    # per day: 14 h x 4 x 1.25 = 70 + 10 h x 4 x 0.5 = 20 -> 90 kWh; Jan 2,790 kWh, Feb 2,520 kWh
    # SnoPUD 7 (2017 rates): Jan 2,790 x 0.10414 = 290.5506 -> 290.55 ; Feb 2,520 x 0.10414 = 262.4328 -> 262.43
    result = run(str(EXAMPLES / "snopud_schedule_7.yaml"), str(csv_load))
    assert [(p["start"], p["end"], p["total"]) for p in result["periods"]] == [
        ("2018-01-01", "2018-01-31", "290.55"),
        ("2018-02-01", "2018-02-28", "262.43"),
    ]
    assert result["total"] == "552.98"
    line = result["periods"][0]["lines"][0]
    assert line == {"kind": "energy", "description": "Energy charge", "quantity": "2790", "unit": "kWh",
                    "rate": "0.10414", "amount": "290.55"}


def test_start_end_give_one_period(csv_load):
    result = run(str(EXAMPLES / "snopud_schedule_7.yaml"), str(csv_load), "--start", "2018-01-10", "--end", "2018-01-19")
    assert len(result["periods"]) == 1
    assert result["periods"][0]["lines"][0]["quantity"] == "900"


def test_register_usage_with_kwh_kw_days():
    # Schedule 24, 31 days from 2025-01-01, 1,000 kWh, 50 kW, 2,000 kW connected load: total 1,512.72
    result = run(str(EXAMPLES / "snopud_schedule_24.yaml"), "--kwh", "1000", "--kw", "50", "--days", "31",
                 "--start", "2025-01-01", "--connected-load-kw", "2000")
    period = result["periods"][0]
    assert (period["start"], period["end"], period["total"]) == ("2025-01-01", "2025-01-31", "1512.72")
    assert [line["kind"] for line in period["lines"]] == ["fixed", "demand", "energy", "minimum"]
    assert all(isinstance(line["amount"], str) for line in period["lines"])


@pytest.mark.parametrize("wrapped", [False, True])
def test_urdb_file_detected_rate_object_or_api_response(tmp_path, wrapped):
    path = tmp_path / "urdb.json"
    path.write_text(json.dumps({"items": [URDB_TIERED]} if wrapped else URDB_TIERED))
    result = run(str(path), "--kwh", "1250", "--start", "2025-01-01")
    assert result["total"] == "134.50"


@pytest.mark.skipif(not COASTAL.exists(), reason="shared Green Button samples not present")
def test_green_button_year_of_hourly_data(tmp_path):
    # NIST/GBA sample: 8,760 hourly readings, 2011 (PST), annual 4,425.305 kWh; rated on the URDB tiered rate
    path = tmp_path / "urdb.json"
    path.write_text(json.dumps(URDB_TIERED))
    result = run(str(path), str(COASTAL), "--timezone", "America/Los_Angeles")
    assert len(result["periods"]) == 12
    energy = sum(Decimal(line["quantity"]) for p in result["periods"] for line in p["lines"] if line["kind"] == "energy")
    assert energy == Decimal("4425.305")
    assert Decimal(result["total"]) == sum(Decimal(p["total"]) for p in result["periods"])


def test_errors_raise_command_error_with_status_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nname: Bad\nversions:\n  - effective: 2020-01-01\n    components:\n"
                   "      - {type: energy, name: e, blocks: [{rate: 0.123456789}]}\n")
    with pytest.raises(CommandError) as info:
        call_command("rate", str(bad), "--kwh", "5", stdout=StringIO())
    assert info.value.returncode == 2
    assert "versions.0.components.0.blocks.0.rate" in str(info.value)
    assert "8 decimal places" in str(info.value)


def test_cli_exit_status_and_stderr(tmp_path):
    bad_csv = tmp_path / "load.csv"
    bad_csv.write_text("start,kwh\n2018-01-01T00:00,1\n2018-01-01T00:15,abc\n")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="ratepayer.settings", RATEPAYER_DEBUG="1")
    proc = subprocess.run(
        [sys.executable, "-m", "ratepayer.cli", "rate", str(EXAMPLES / "snopud_schedule_7.yaml"), str(bad_csv),
         "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "line 3" in proc.stderr and "abc" in proc.stderr


def test_csv_with_kw_column_and_utc_offsets(tmp_path):
    # 2 days hourly, times with an explicit offset (converted to the zone); kw column = demand register
    # Schedule 24 demand window Mon-Sat 07-11: the 120 kW reading on Tue 2025-01-07 08:00 local is the demand:
    # 20 kW over the free 100 kW x 8.47 = 169.40
    rows = ["start,kwh,kw"]
    for h in range(48):
        t = datetime(2025, 1, 6, 8) + timedelta(hours=h)  # 08:00Z = 00:00 PST
        kw = "120" if h == 32 else "50"
        rows.append(f"{t.isoformat()}+00:00,10,{kw}")
    path = tmp_path / "load.csv"
    path.write_text("\n".join(rows) + "\n")
    result = run(str(EXAMPLES / "snopud_schedule_24.yaml"), str(path), "--start", "2025-01-06", "--end", "2025-01-07",
                 "--timezone", "America/Los_Angeles", "--connected-load-kw", "10")
    demand = [line for line in result["periods"][0]["lines"] if line["kind"] == "demand"]
    assert [(line["quantity"], line["amount"]) for line in demand] == [("100", "0.00"), ("20", "169.40")]


def test_the_calculator_needs_no_secret_key_and_finds_shipped_examples_by_name(tmp_path):
    # before: a Django traceback (ImproperlyConfigured: RATEPAYER_SECRET_KEY is not set), and a bare
    # example name was "no such tariff file". SnoPUD 7 medium, January 2025, 1,000 kWh:
    #   base 0.29 x 31 = 8.99 ; energy 1,000 x 0.09527 = 95.27 ; total 104.26
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RATEPAYER_") and k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")}
    for tariff_args in (["--tariff", "snopud_schedule_7"], ["snopud-schedule-7"], ["snopud_schedule_7.yaml"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ratepayer.cli", "rate", *tariff_args, "--kwh", "1000", "--size-class", "medium",
             "--start", "2025-01-01", "--end", "2025-01-31", "--format", "json"],
            capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        assert json.loads(proc.stdout)["total"] == "104.26"
    proc = subprocess.run([sys.executable, "-m", "ratepayer.cli", "rate", "--tariff", "no_such_tariff", "--kwh", "5"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no shipped example of that name" in proc.stderr and "snopud_schedule_7" in proc.stderr
