"""The heat-alert days CSV: the parser names line and field; the import is all or nothing and
the same file twice changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from ratepayer.collections.actions.protections import enter_heat_alert, import_heat_alerts
from ratepayer.collections.errors import HeatAlertsAlreadyImported, HeatAlertsRefused
from ratepayer.collections.models.protections import HeatAlert, HeatAlertImport
from ratepayer.formats import heat_alerts
from ratepayer.staff.models import AuditEvent

GOOD = (b"\xef\xbb\xbfZone,Date,Kind,Note\r\n"
        b"WAZ558,2025-07-08,Excessive Heat Warning,NWS Seattle 0300\r\n"
        b"waz558,2025-07-09,excessive_heat_warning,\r\n"
        b"WAZ507,2025-07-08,heat-advisory,\r\n"
        b"\r\n")


def test_parser_reads_rows_in_any_column_order():
    rows, problems = heat_alerts.parse(b"kind,zone,date\nheat advisory,WAC061,2025-08-01\n")
    assert problems == []
    assert [(r.line, r.zone, r.day, r.kind) for r in rows] == [(2, "WAC061", date(2025, 8, 1), "heat_advisory")]


def test_parser_names_line_and_field_of_every_problem():
    rows, problems = heat_alerts.parse(b"zone,date,kind\n"
                                       b"WAZ558,2025-07-08,heat_advisory\n"
                                       b"Everett,2025-07-08,heat_advisory\n"
                                       b"WAZ558,07/09/2025,heat_advisory\n"
                                       b"WAZ558,2025-07-10,hot day\n"
                                       b"waz558,2025-07-08,Heat Advisory\n")
    assert rows == []
    assert problems == [
        "line 3: zone: 'Everett' is not an NWS zone (like WAZ039 or WAC033)",
        "line 4: date: '07/09/2025' is not a date (YYYY-MM-DD)",
        "line 5: kind: 'hot day' is not a heat alert kind (one of excessive_heat_warning, excessive_heat_watch, "
        "heat_advisory, extreme_heat_warning, extreme_heat_watch, other)",
        "line 6: date: WAZ558 2025-07-08 heat_advisory is already on line 2",
    ]
    assert heat_alerts.parse(b"zone,day,kind\n")[1] == [
        "line 1: header: no column 'date' (the header must name zone, date and kind)"]
    assert heat_alerts.parse(b"")[1] == ["line 1: header: the file is empty; the first line names the columns "
                                         "zone,date,kind"]
    assert heat_alerts.parse(b"zone,date,kind\nWAZ558,2025-02-30,heat_advisory\n")[1] == [
        "line 2: date: '2025-02-30' is not a date (YYYY-MM-DD)"]


@pytest.mark.django_db
def test_import_good_file_then_the_same_file_again(users):
    clerk = users["specialist"]
    # one of the file's rows was already entered by hand: counted, not added twice
    enter_heat_alert(user=clerk, zone="WAZ507", day=date(2025, 7, 8), kind="heat_advisory")
    batch = import_heat_alerts(user=clerk, content=GOOD, file_name="alerts-july.csv")
    assert (batch.rows, batch.created) == (3, 2)
    imported = HeatAlert.objects.filter(import_file=batch).order_by("day")
    assert [(a.zone, a.day, a.kind, a.source) for a in imported] == [
        ("WAZ558", date(2025, 7, 8), "excessive_heat_warning", "imported"),
        ("WAZ558", date(2025, 7, 9), "excessive_heat_warning", "imported")]
    assert imported[0].note == "NWS Seattle 0300"
    assert AuditEvent.objects.filter(action="heat_alerts.imported", object_id=str(batch.pk)).count() == 1
    before = (HeatAlert.objects.count(), HeatAlertImport.objects.count(), AuditEvent.objects.count())
    with pytest.raises(HeatAlertsAlreadyImported, match="alerts-again.csv: this file was already imported on .* "
                                                        r"\(as alerts-july.csv\); nothing was changed"):
        import_heat_alerts(user=clerk, content=GOOD, file_name="alerts-again.csv")
    assert (HeatAlert.objects.count(), HeatAlertImport.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_bad_file_imports_nothing(users):
    bad = GOOD + b"WAZ558,2025-07-10,warm,\n"
    with pytest.raises(HeatAlertsRefused) as refused:
        import_heat_alerts(user=users["specialist"], content=bad, file_name="bad.csv")
    assert refused.value.problems == ["line 6: kind: 'warm' is not a heat alert kind (one of excessive_heat_warning, "
                                      "excessive_heat_watch, heat_advisory, extreme_heat_warning, extreme_heat_watch, "
                                      "other)"]
    assert str(refused.value).startswith("bad.csv: refused, nothing was imported: line 6: kind: ")
    assert not HeatAlert.objects.exists() and not HeatAlertImport.objects.exists()
    assert not AuditEvent.objects.filter(action="heat_alerts.imported").exists()
    # the corrected file imports
    assert import_heat_alerts(user=users["specialist"], content=GOOD, file_name="good.csv").created == 3
