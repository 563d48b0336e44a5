"""Read entry and route-file import: validation, exceptions, atomicity, idempotency."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.metering import actions
from ratepayer.metering.errors import AlreadyImported, ImportRejected, MeteringError
from ratepayer.metering.models import ReadException, ReadImportFile, RegisterRead
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import AuditEvent

from .conftest import many_service_points

D = Decimal


def route(lines: list[str], trailer: bool = True) -> bytes:
    body = ["meter,read_date,reading,demand_kw,read_type,account,note", *lines]
    if trailer:
        body.append(f"TRAILER,{len(lines)}")
    return ("\n".join(body) + "\n").encode()


def test_entered_read_computes_usage_with_multiplier(meter_with_history, specialist):
    meter = meter_with_history
    meter.multiplier = D(2)
    meter.save()
    last = RegisterRead.objects.filter(meter=meter).latest("read_date")
    read = actions.enter_read(user=specialist, meter=meter, read_date=date(2025, 2, 5), value=last.value + 465)
    assert read.status == "valid" and read.consumption == D("930.0000")  # 465 dial units × 2
    assert AuditEvent.objects.filter(action="read.entered", object_id=str(read.pk)).exists()


def test_high_read_is_held_in_the_exceptions_queue(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    read = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5),
                              value=last.value + 9000)
    assert read.status == "exception"
    exc = ReadException.objects.get(read=read)
    assert exc.reasons == ["high_usage"] and "same season last year" in exc.message


@pytest.mark.parametrize("role", ["assistant", "kam", "auditor"])
def test_roles_without_reads_manage_cannot_enter_reads(meter_with_history, users, role):
    before = RegisterRead.objects.count()
    with pytest.raises(PermissionRefused):
        actions.enter_read(user=users[role], meter=meter_with_history, read_date=date(2025, 2, 5), value="99999")
    with pytest.raises(PermissionRefused):
        actions.import_route_file(user=users[role], content=route(["E1000123,2025-02-05,5000,,,,"]), name="r.csv")
    assert RegisterRead.objects.count() == before and not ReadImportFile.objects.filter(name="r.csv").exists()


def test_bad_entry_stores_nothing(meter_with_history, specialist):
    before = RegisterRead.objects.count()
    with pytest.raises(MeteringError, match="reading: 'abc' is not a number"):
        actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5), value="abc")
    with pytest.raises(MeteringError, match="in the future"):
        actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2099, 1, 1), value="1")
    assert RegisterRead.objects.count() == before


def test_route_file_import_with_exceptions_and_counts(meter_with_history, specialist, utility):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    content = route([f"E1000123,2025-02-05,{last + 930},,A,{utility.account.number},route 4"], trailer=True)
    result = actions.import_route_file(user=specialist, content=content, name="route-0205.csv")
    assert (result.rows, result.reads_created, result.exceptions_created) == (1, 1, 0)
    read = RegisterRead.objects.get(import_file=result.file)
    assert read.source == "route_file" and read.consumption == D("930.0000") and read.note == "route 4"
    assert AuditEvent.objects.filter(action="reads.imported", object_id=str(result.file.pk)).exists()


def test_same_file_twice_is_refused_and_changes_nothing(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    content = route([f"E1000123,2025-02-05,{last + 930},,,,"])
    actions.import_route_file(user=specialist, content=content, name="a.csv")
    count = RegisterRead.objects.count()
    with pytest.raises(AlreadyImported, match="already imported"):
        actions.import_route_file(user=specialist, content=content, name="a-again.csv")
    assert RegisterRead.objects.count() == count and ReadImportFile.objects.filter(kind="route").count() == 1


def test_a_row_already_on_file_from_another_file_is_skipped(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    result = actions.import_route_file(user=specialist, content=route([f"E1000123,{last.read_date},{last.value},,,,"]),
                                       name="b.csv")
    assert (result.reads_created, result.duplicates_skipped) == (0, 1)


def test_bad_rows_reject_the_whole_file_naming_line_and_field(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    content = route([f"E1000123,2025-02-05,{last + 930},,,,", "NOPE1,2025-02-05,100,,,,", "E1000123,02/06/2025,1,,,,",
                     "E1000123,2025-02-07,12x,,,,", "E1000123,2025-02-08,5,,Z,,"])
    before = RegisterRead.objects.count()
    with pytest.raises(ImportRejected) as info:
        actions.import_route_file(user=specialist, content=content, name="bad.csv")
    text = [str(p) for p in info.value.problems]
    assert "bad.csv, line 3, field meter: no meter with serial number 'NOPE1'" in text
    assert any(t.startswith("bad.csv, line 4, field read_date: '02/06/2025' is not a date") for t in text)
    assert "bad.csv, line 5, field reading: '12x' is not a number" in text
    assert any(t.startswith("bad.csv, line 6, field read_type: unknown read type 'Z'") for t in text)
    assert RegisterRead.objects.count() == before and not ReadImportFile.objects.filter(name="bad.csv").exists()


def test_truncated_files_are_rejected_whole(meter_with_history, specialist):
    before = RegisterRead.objects.count()
    cut = route(["E1000123,2025-02-05,5000,,,,", "E1000123,2025-03-05,6000,,,,"])[:-9]
    with pytest.raises(ImportRejected, match="cut off"):
        actions.import_route_file(user=specialist, content=cut, name="cut.csv")
    short = route(["E1000123,2025-02-05,5000,,,,"], trailer=False) + b"TRAILER,2\n"
    with pytest.raises(ImportRejected, match="trailer says 2 reads but the file has 1"):
        actions.import_route_file(user=specialist, content=short, name="short.csv")
    assert RegisterRead.objects.count() == before and not ReadImportFile.objects.filter(kind="route").exists()


def test_mapping_for_another_layout(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    mapping = actions.load_mapping({"columns": {"meter": "Meter No", "read_date": "Date", "reading": "Read"},
                                    "date_format": "%m/%d/%Y", "delimiter": ";"})
    content = f"Route;Meter No;Date;Read\n4;E1000123;02/05/2025;{last + 900}\nTRAILER;1\n".encode()
    result = actions.import_route_file(user=specialist, content=content, name="handheld.txt", mapping=mapping)
    assert result.reads_created == 1
    with pytest.raises(MeteringError, match="unknown key 'colums'"):
        actions.load_mapping({"colums": {}})


def test_meter_not_at_the_accounts_premise_and_read_out_of_window(meter_with_history, specialist, utility):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    content = route([f"E1000123,2025-03-30,{last.value + 2500},,,10000099,"])
    result = actions.import_route_file(user=specialist, content=content, name="c.csv")
    exc = ReadException.objects.get(read__import_file=result.file)
    assert set(exc.reasons) == {"meter_not_installed", "out_of_window"}
    assert "not at a premise served by account 10000099" in exc.message and "84 days since" in exc.message


def test_zero_usage_on_active_service_and_rollover(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    zero = actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5), value=last.value)
    assert zero.exception.reasons == ["zero_usage"]


def test_dial_rollover_is_recognised(utility, specialist):
    from ratepayer.metering.actions import ReadInput

    actions.load_reads_bulk([ReadInput("E1000123", date(2024, 12, 5), D("99500")),
                             ReadInput("E1000123", date(2025, 1, 5), D("99980"))], user=specialist)
    read = actions.enter_read(user=specialist, meter=utility.meter, read_date=date(2025, 2, 5), value="450")
    assert read.status == "valid" and read.rolled_over and read.consumption == D("470.0000")


def test_route_import_runs_a_fixed_number_of_queries(db, users, utility, django_assert_max_num_queries):
    agreements = many_service_points(300, cycle=utility.cycle)
    serials = [f"B{i:06d}" for i in range(len(agreements))]
    first = route([f"{s},2025-01-05,{1000 + i}" + ",,,," for i, s in enumerate(serials)])
    actions.import_route_file(user=users["specialist"], content=first, name="jan.csv")
    second = route([f"{s},2025-02-05,{1000 + i + 900}" + ",,,," for i, s in enumerate(serials)])
    with django_assert_max_num_queries(40):
        result = actions.import_route_file(user=users["specialist"], content=second, name="feb.csv")
    assert result.reads_created == 300 and result.exceptions_created == 0
