"""Rates console pages through the test client: refusals change nothing,
errors name the field and line, the calculator writes nothing."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratepayer.rates import documents, queries
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff.models import ApprovalRequest, AuditEvent

pytestmark = pytest.mark.django_db

GREEN_BUTTON = (Path(__file__).resolve().parents[3] / "shared" / "reference" / "greenbutton"
                / "TestGBDataHourlyNineDaysBinnedDaily.xml")


def snapshot():
    return (RateSchedule.objects.count(), list(RateVersion.objects.order_by("pk").values_list("pk", "status")),
            ApprovalRequest.objects.count(), AuditEvent.objects.exclude(action__startswith="account.").count())


def e7_yaml(examples, old="rate: 0.08935", new="rate: 0.09100") -> str:
    in_force = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    return documents.to_yaml(in_force.document).replace(old, new)


def test_schedule_list_shows_the_version_in_force_in_a_few_queries(signed_in, examples, django_assert_max_num_queries):
    client = signed_in("specialist")
    with django_assert_max_num_queries(12):
        response = client.get("/rates/")
    assert response.status_code == 200
    html = response.content.decode()
    e7_in_force = queries.version_in_force(examples["E-7"], date.today())
    assert f"#{e7_in_force.pk} from {e7_in_force.effective_from:%Y-%m-%d}" in html
    assert "New schedule" not in html  # a specialist sees rates but cannot create them


def test_schedule_page_shows_two_versions_side_by_side(signed_in, examples, django_assert_max_num_queries):
    e7 = examples["E-7"]
    v2025 = queries.version_in_force(e7, date(2025, 6, 1))
    v2026 = queries.version_in_force(e7, date(2026, 6, 1))
    client = signed_in("specialist")
    with django_assert_max_num_queries(12):
        response = client.get(f"/rates/E-7/?left={v2025.pk}&right={v2026.pk}")
    assert response.status_code == 200
    rows = response.context["diff"]["rows"]
    changed = [(r.left.strip(), r.right.strip()) for r in rows if r.change != "equal"]
    assert ("- rate: 0.09231", "- rate: 0.08935") in changed
    assert ("small: 0.32", "small: 0.4") in changed
    assert any(left == "- type: minimum" and right == "" for left, right in changed)  # minimum bill removed 2026
    assert ("- effective: 2025-04-01", "- effective: 2026-04-01") in changed


def test_specialist_cannot_create_schedules_or_versions(signed_in, examples):
    client = signed_in("specialist")
    before = snapshot()
    assert client.get("/rates/E-7/versions/new/").status_code == 403
    response = client.post("/rates/E-7/versions/new/", {"effective_from": "2027-04-01",
                                                         "document": e7_yaml(examples), "submit": "approval"})
    assert response.status_code == 403 and "not allowed to draft rate schedule versions" in response.content.decode()
    response = client.post("/rates/", {"code": "E-99", "name": "Mine", "service": "electric"})
    assert response.status_code == 403
    draft = RateVersion.objects.filter(status="approved").first()
    assert client.post(f"/rates/{draft.schedule.code}/versions/{draft.pk}/decide/",
                       {"decision": "submit"}).status_code == 403
    assert snapshot() == before


def test_a_bad_document_names_the_field_and_line_and_saves_nothing(signed_in, examples):
    client = signed_in("supervisor")
    before = snapshot()
    text = e7_yaml(examples, new="rate: 0.091000001")
    response = client.post("/rates/E-7/versions/new/", {"effective_from": "2027-04-01", "document": text,
                                                         "submit": "approval"})
    assert response.status_code == 400
    error = response.context["form"].errors["document"][0]
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "0.091000001" in t)
    assert error.startswith(f"line {line}: versions.0.components.1.blocks.0.rate: ")
    assert "more than 8 decimal places" in error
    assert (line, "          - rate: 0.091000001", True) in response.context["excerpt"]
    response = client.post("/rates/E-7/versions/new/", {"effective_from": "2027-04-01",
                                                         "document": "format: [oops\n"})
    assert response.status_code == 400 and "not valid YAML" in response.context["form"].errors["document"][0]
    assert snapshot() == before


def test_new_version_from_copy_then_approval_by_another_supervisor(signed_in, examples):
    client = signed_in("supervisor")
    in_force = queries.version_in_force(examples["E-7"], date.today())
    page = client.get(f"/rates/E-7/versions/new/?from={in_force.pk}")
    assert page.context["form"].initial["document"] == documents.to_yaml(in_force.document)
    response = client.post("/rates/E-7/versions/new/", {
        "effective_from": "2027-04-01", "document": e7_yaml(examples), "notes": "Resolution 27-04",
        "copied_from": in_force.pk, "submit": "approval"})
    assert response.status_code == 302
    version = RateVersion.objects.get(effective_from=date(2027, 4, 1))
    assert version.status == "pending" and version.notes == "Resolution 27-04"
    schedule_page = client.get("/rates/E-7/").content.decode()
    assert "waiting for approval" in schedule_page and f'data-approve="{version.pk}"' not in schedule_page

    decide = f"/rates/E-7/versions/{version.pk}/decide/"
    senior = signed_in("senior")
    assert senior.post(decide, {"decision": "approve"}).status_code == 403
    assert RateVersion.objects.get(pk=version.pk).status == "pending"

    checker = signed_in("supervisor2")
    assert f'data-approve="{version.pk}"' in checker.get("/rates/E-7/").content.decode()
    assert checker.post(decide, {"decision": "approve"}).status_code == 302
    version.refresh_from_db()
    assert version.status == "approved"
    assert queries.version_in_force(examples["E-7"], date(2027, 4, 1)) == version


def test_a_draft_can_be_saved_edited_and_submitted(signed_in, examples):
    client = signed_in("supervisor")
    client.post("/rates/E-7/versions/new/", {"effective_from": "2027-04-01", "document": e7_yaml(examples),
                                             "submit": "draft"})
    draft = RateVersion.objects.get(status="draft")
    response = client.post(f"/rates/E-7/versions/{draft.pk}/edit/", {
        "effective_from": "2027-05-01", "document": e7_yaml(examples, new="rate: 0.09200"), "submit": "draft"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.effective_from == date(2027, 5, 1) and "0.092" in str(draft.document)
    client.post(f"/rates/E-7/versions/{draft.pk}/decide/", {"decision": "submit"})
    assert RateVersion.objects.get(pk=draft.pk).status == "pending"
    response = client.get(f"/rates/E-7/versions/{draft.pk}/edit/")
    assert response.status_code == 302  # only drafts are edited


def test_new_schedule_starts_from_a_skeleton(signed_in, db):
    client = signed_in("supervisor")
    response = client.post("/rates/", {"code": "W-GEN", "name": "General service water", "service": "water"})
    assert response.status_code == 302 and response["Location"] == "/rates/W-GEN/versions/new/"
    skeleton = client.get("/rates/W-GEN/versions/new/").context["form"].initial["document"]
    response = client.post("/rates/W-GEN/versions/new/", {"effective_from": "2020-01-01", "document": skeleton,
                                                           "submit": "draft"}, follow=True)
    assert response.status_code == 200
    assert "2020-01-01 is in the past" in response.content.decode()  # bills already issued are not re-rated
    assert RateVersion.objects.get(schedule__code="W-GEN").document["service"] == "water"
    response = client.post("/rates/", {"code": "W-GEN", "name": "Again", "service": "water"})
    assert response.status_code == 400 and response.context["form"].errors["code"] == [
        "a schedule W-GEN already exists."]


def calculate(client, **fields):
    return client.post("/rates/calculator/", fields)


def assert_no_writes(queries_run):
    writes = [q["sql"] for q in queries_run if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_calculator_register_usage_line_by_line_without_writing(signed_in, examples):
    client = signed_in("assistant")  # the calculator needs only account.view
    e7 = examples["E-7"]
    with CaptureQueriesContext(connection) as run:
        response = calculate(client, schedule=e7.pk, on_date="2025-06-01", quantity="900", days="30",
                             size_class="small", dwelling_units="1")
    assert_no_writes(run.captured_queries)
    assert response.status_code == 200
    quote = response.context["result"]["quote"]
    # 30 days x $0.32 = $9.60; 900 kWh x $0.09231 = $83.079 -> $83.08; total $92.68
    assert [(line.description, str(line.amount)) for line in quote.bills[0].lines] == [
        ("Daily base charge", "9.60"), ("Energy charge", "83.08")]
    assert str(quote.total) == "92.68"
    html = response.content.decode()
    assert "$92.68" in html and "0.09231" in html


def test_calculator_errors_are_named_and_write_nothing(signed_in, examples):
    client = signed_in("assistant")
    e7 = examples["E-7"]
    with CaptureQueriesContext(connection) as run:
        missing_class = calculate(client, schedule=e7.pk, on_date="2025-06-01", quantity="900", days="30")
        before_rates = calculate(client, schedule=e7.pk, on_date="2001-01-01", quantity="900", days="30",
                                 size_class="small")
        no_usage = calculate(client, schedule=e7.pk, on_date="2025-06-01", days="30")
    assert_no_writes(run.captured_queries)
    assert missing_class.status_code == 400
    assert "the charge depends on size_class" in missing_class.context["form"].errors["size_class"][0]
    assert "has no approved version in force on 2001-01-01" in before_rates.context["form"].errors["on_date"][0]
    assert no_usage.context["form"].errors["quantity"] == ["Enter the usage, or upload interval data."]


def test_calculator_rates_an_interval_csv_by_calendar_month(signed_in, examples):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = ["start,kwh"] + [f"2025-{m:02d}-{d:02d}T{h:02d}:00,1.0" for m, days in ((5, 31), (6, 30))
                            for d in range(1, days + 1) for h in range(24)]
    upload = SimpleUploadedFile("may-june.csv", ("\n".join(rows) + "\n").encode(), content_type="text/csv")
    client = signed_in("specialist")
    with CaptureQueriesContext(connection) as run:
        response = client.post("/rates/calculator/", {"schedule": examples["E-7"].pk, "on_date": "2025-06-01",
                                                       "intervals": upload, "size_class": "small", "days": ""})
    assert_no_writes(run.captured_queries)
    assert response.status_code == 200
    bills = response.context["result"]["quote"].bills
    assert [(b.period.start.month, b.period.days) for b in bills] == [(5, 31), (6, 30)]
    # June: 720 kWh x 0.09231 = 66.4632 -> 66.46, plus 30 x 0.32 = 9.60
    assert str(bills[1].total) == "76.06"

    bad = SimpleUploadedFile("bad.csv", b"start,kwh\n2025-06-01T00:00,1\n2025-06-01T01:00,x\n")
    response = client.post("/rates/calculator/", {"schedule": examples["E-7"].pk, "on_date": "2025-06-01",
                                                  "intervals": bad, "size_class": "small"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["bad.csv: line 3: kwh 'x' is not a number"]


def test_calculator_reads_green_button(signed_in, examples):
    """A Green Button feed built here: 48 hourly readings of 1,000 + 250·n Wh from
    2024-06-01 00:00 Pacific — two whole summer days, 330 kWh in all."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.formats import samples

    june_1_pacific = int(datetime(2024, 6, 1, 7, tzinfo=UTC).timestamp())
    feed = samples.green_button(start=june_1_pacific, count=48)
    upload = SimpleUploadedFile("usage.xml", feed, content_type="application/xml")
    client = signed_in("specialist")
    with CaptureQueriesContext(connection) as run:
        response = client.post("/rates/calculator/", {
            "schedule": examples["E-SCL-RES"].pk, "on_date": "2024-06-01", "intervals": upload})
    assert_no_writes(run.captured_queries)
    assert response.status_code == 200, response.context["form"].errors
    result = response.context["result"]
    quote = result["quote"]
    assert quote.intervals == 48 and "usage.xml" in result["source"]
    assert [(b.period.start, b.period.days) for b in quote.bills] == [(date(2024, 6, 1), 2)]
    # Seattle City Light residential, summer: base 2 days x $0.2728 = $0.5456 -> $0.55;
    # first 10 kWh/day x 2 days = 20 kWh x $0.1291 = $2.582 -> $2.58; the other 310 kWh x $0.1372
    # = $42.532 -> $42.53; total $45.66
    assert sum(line.quantity for line in quote.bills[0].lines if line.unit == "kWh") == Decimal("330")
    assert [str(line.amount) for line in quote.bills[0].lines] == ["0.55", "2.58", "42.53"]
    assert str(quote.total) == "45.66"
    assert "$45.66" in response.content.decode()


@pytest.mark.skipif(not GREEN_BUTTON.exists(), reason="shared Green Button sample not present")
def test_calculator_reads_a_third_party_green_button_sample(signed_in, examples):
    """Interoperability with a feed written elsewhere (the figures are checked above)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("usage.xml", GREEN_BUTTON.read_bytes(), content_type="application/xml")
    response = signed_in("specialist").post("/rates/calculator/", {
        "schedule": examples["E-SCL-RES"].pk, "on_date": "2024-06-01", "intervals": upload})
    assert response.status_code == 200, response.context["form"].errors
    quote = response.context["result"]["quote"]
    assert quote.intervals > 0 and quote.bills
    assert quote.total == sum(line.amount for bill in quote.bills for line in bill.lines) > 0


def test_a_stored_version_that_does_not_validate_is_flagged(signed_in, utility):
    # tests.factories gives E-7 an approved placeholder document that cannot bill
    client = signed_in("specialist")
    assert "does not validate — cannot bill" in client.get("/rates/").content.decode()
    page = client.get("/rates/E-7/").content.decode()
    assert "does not validate" in page and "versions: Field required" in page


def test_calculator_demand_and_connected_load_on_schedule_24(signed_in, examples):
    client = signed_in("senior")
    fields = {"schedule": examples["E-24"].pk, "on_date": "2025-06-01", "quantity": "40000", "days": "30"}
    missing = calculate(client, **fields, demand_kw="150")
    assert "needs the connected load" in missing.context["form"].errors["connected_load_kw"][0]
    response = calculate(client, **fields, demand_kw="150", connected_load_kw="200")
    assert response.status_code == 200
    lines = [(line.description, str(line.quantity.normalize()), str(line.amount))
             for line in response.context["result"]["quote"].bills[0].lines]
    # customer charge 30 x $0.37 = $11.10; demand: the first 100 kW free, 50 kW x $8.47 = $423.50;
    # energy 30,000 kWh x $0.0904 = $2,712.00 and 10,000 kWh x $0.0698 = $698.00; the minimum
    # (30 x $0.54 + 190 kW x $0.02425 x 30 = $154.43) is lower, so no minimum line. Total $3,844.60.
    assert [amount for _, _, amount in lines if amount != "0.00"] == ["11.10", "423.50", "2712.00", "698.00"]
    assert str(response.context["result"]["quote"].total) == "3844.60"


def test_copying_a_version_that_holds_several_sets_of_rates_starts_from_the_newest(signed_in, db):
    """Versions loaded whole (several effective dates in one document, as the
    billing samples and older imports do) copy as their newest rates only, so
    the copy can be saved as it is."""
    from ratepayer import rating

    schedule = RateSchedule.objects.create(code="E-OLD", name="Imported whole", service="electric")
    whole = documents.stored_document(rating.load_tariff("snopud_schedule_7.yaml"))
    RateVersion.objects.create(schedule=schedule, effective_from=date(2017, 10, 1), document=whole, status="approved")
    client = signed_in("supervisor")
    text = client.get("/rates/E-OLD/versions/new/").context["form"].initial["document"]
    assert text.count("effective:") == 1 and "rate: 0.08935" in text
    response = client.post("/rates/E-OLD/versions/new/", {"effective_from": "2027-04-01", "document": text,
                                                           "submit": "draft"})
    assert response.status_code == 302
