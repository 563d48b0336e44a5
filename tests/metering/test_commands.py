"""`ratepayer reads import` and `ratepayer intervals import`: output, exit status, errors."""

import json

import pytest
from django.core.management import call_command

from ratepayer.metering.models import ReadImportFile, RegisterRead


def test_reads_import_prints_counts_and_is_idempotent(meter_with_history, tmp_path, capsys):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    path = tmp_path / "route-0205.csv"
    path.write_text(f"meter,read_date,reading\nE1000123,2025-02-05,{last + 930}\nTRAILER,1\n")
    call_command("reads", "import", str(path), "--user", "specialist", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["rows"], out["reads"], out["exceptions"]) == ("imported", 1, 1, 0)
    call_command("reads", "import", str(path), "--user", "specialist", "--format", "json")
    again = json.loads(capsys.readouterr().out)
    assert again["status"] == "already_imported" and ReadImportFile.objects.filter(kind="route").count() == 1


def test_reads_import_rejects_a_bad_file_with_exit_2_naming_line_and_field(meter_with_history, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("meter,read_date,reading\nE1000123,2025-02-05,12x\nTRAILER,1\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command("reads", "import", str(path), "--user", "specialist")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "bad.csv, line 2, field reading: '12x' is not a number" in err and "nothing imported" in err


def test_reads_import_with_a_mapping_file(meter_with_history, tmp_path, capsys):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    mapping = tmp_path / "handheld.json"
    mapping.write_text(json.dumps({"columns": {"meter": "MTR", "read_date": "DT", "reading": "RDG"},
                                   "date_format": "%m/%d/%Y"}))
    path = tmp_path / "hh.csv"
    path.write_text(f"MTR,DT,RDG\nE1000123,02/05/2025,{last + 930}\nTRAILER,1\n")
    call_command("reads", "import", str(path), "--mapping", str(mapping), "--user", "specialist")
    assert "1 reads stored, 0 held" in capsys.readouterr().out


def test_a_user_without_reads_manage_is_refused(meter_with_history, tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("meter,read_date,reading\nE1000123,2025-02-05,99999\nTRAILER,1\n")
    with pytest.raises(SystemExit):
        call_command("reads", "import", str(path), "--user", "auditor")
    assert "not allowed" in capsys.readouterr().err
    assert not ReadImportFile.objects.filter(kind="route").exists()


def test_read_policy_is_effective_dated_and_set_by_supervisors(db, users, capsys):
    from datetime import date
    from decimal import Decimal

    from ratepayer.metering import actions
    from ratepayer.metering.errors import MeteringError
    from ratepayer.metering.models import ReadPolicy
    from ratepayer.staff.errors import PermissionRefused
    from ratepayer.staff.models import AuditEvent

    before = ReadPolicy.objects.count()
    with pytest.raises(PermissionRefused):
        actions.set_read_policy(user=users["specialist"], effective_from=date(2025, 7, 1), high_factor=4,
                                low_factor="0.2", max_days_between_reads=40, billing_window_days=4,
                                max_consecutive_estimates=3)
    with pytest.raises(MeteringError, match="High factor"):
        actions.set_read_policy(user=users["supervisor"], effective_from=date(2025, 7, 1), high_factor="0.9",
                                low_factor="0.2", max_days_between_reads=40, billing_window_days=4,
                                max_consecutive_estimates=3)
    assert ReadPolicy.objects.count() == before
    call_command("reads", "policy", "--set", "--from", "2025-07-01", "--high-factor", "4", "--user", "supervisor",
                 "--max-consecutive-estimates", "3")
    assert actions.read_policy_on(date(2025, 6, 30)).high_factor == Decimal(3)
    assert actions.read_policy_on(date(2025, 7, 1)).high_factor == Decimal(4)
    assert actions.read_policy_on(date(2025, 7, 1)).max_consecutive_estimates == 3
    assert AuditEvent.objects.filter(action="read_policy.set", user=users["supervisor"]).exists()
    capsys.readouterr()
    call_command("reads", "policy", "--format", "json")
    assert json.loads(capsys.readouterr().out)["high_factor"] == "4.00"
