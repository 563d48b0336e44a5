"""Console pages for reads: who may see and do what, errors shown, nothing changed on refusal."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratepayer.metering import actions
from ratepayer.metering.models import ReadException, ReadImportFile, RegisterRead
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def client_for(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def held(meter_with_history, specialist):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    return actions.enter_read(user=specialist, meter=meter_with_history, read_date=date(2025, 2, 5),
                              value=last.value + 9300).exception


def test_meter_page_shows_history_chart_and_entry_form(client, meter_with_history):
    page = client_for(client, "specialist").get("/reads/meter/E1000123/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="read-form"' in html and "<svg" in html and 'class="bar' in html
    assert html.count('data-read="') == 14


def test_assistant_sees_history_but_no_entry_form_and_cannot_post(client, meter_with_history):
    c = client_for(client, "assistant")
    assert 'id="read-form"' not in c.get("/reads/meter/E1000123/").content.decode()
    before = RegisterRead.objects.count()
    response = c.post("/reads/meter/E1000123/", {"read_date": "2025-02-05", "value": "99999", "read_type": "actual"})
    assert response.status_code == 403 and RegisterRead.objects.count() == before
    assert c.get("/reads/exceptions/").status_code == 403 and c.get("/reads/import/").status_code == 403


def test_entering_a_read_in_the_console(client, meter_with_history):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    c = client_for(client, "specialist")
    response = c.post("/reads/meter/E1000123/", {"read_date": "2025-02-05", "value": str(last.value + 930),
                                                 "read_type": "actual", "note": ""}, follow=True)
    assert "930 kWh since the previous read" in response.content.decode()
    bad = c.post("/reads/meter/E1000123/", {"read_date": "2025-02-06", "value": "-4", "read_type": "actual"})
    assert bad.status_code == 400 and "greater than or equal to 0" in bad.content.decode()


def test_find_meter_by_account_redirects_to_its_only_meter(client, utility):
    response = client_for(client, "specialist").get("/reads/", {"q": utility.account.number})
    assert response.status_code == 302 and response.url == "/reads/meter/E1000123/"
    assert "No meter or account" in client.get("/reads/", {"q": "zzz"}).content.decode()


def test_route_file_upload_shows_counts_or_every_problem(client, meter_with_history):
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date").value
    c = client_for(client, "specialist")
    good = SimpleUploadedFile("r1.csv", f"meter,read_date,reading\nE1000123,2025-02-05,{last + 930}\nTRAILER,1\n".encode())
    html = c.post("/reads/import/", {"file": good}).content.decode()
    assert 'id="count-reads">1<' in html and 'id="count-exceptions">0<' in html
    bad = SimpleUploadedFile("r2.csv", b"meter,read_date,reading\nE1000123,2025-03-05,x\nNOPE,2025-03-05,1\nTRAILER,2\n")
    response = c.post("/reads/import/", {"file": bad})
    html = response.content.decode()
    assert response.status_code == 400 and "nothing was imported" in html
    assert "r2.csv, line 2, field reading: &#x27;x&#x27; is not a number" in html
    assert "r2.csv, line 3, field meter: no meter with serial number &#x27;NOPE&#x27;" in html
    assert not ReadImportFile.objects.filter(name="r2.csv").exists()


def test_exceptions_queue_decides_and_refuses(client, held, django_assert_max_num_queries):
    c = client_for(client, "specialist2")
    with django_assert_max_num_queries(20):
        html = c.get("/reads/exceptions/").content.decode()
    assert f'id="exception-{held.pk}"' in html and "High usage" in html
    prefix = f"x{held.pk}"
    missing = c.post(f"/reads/exceptions/{held.pk}/decide/", {f"{prefix}-decision": "correct"})
    assert missing.status_code == 400 and "Enter the corrected reading" in missing.content.decode()
    assert ReadException.objects.get(pk=held.pk).status == "open"
    done = c.post(f"/reads/exceptions/{held.pk}/decide/", {f"{prefix}-decision": "reread", f"{prefix}-note": "dials"},
                  follow=True)
    assert "order a re-read" in done.content.decode()
    assert ReadException.objects.get(pk=held.pk).decision == "reread"
    again = c.post(f"/reads/exceptions/{held.pk}/decide/", {f"{prefix}-decision": "accept"})
    assert again.status_code == 400 and "already decided" in again.content.decode()


def test_queue_query_count_does_not_grow_with_rows(client, meter_with_history, specialist, utility,
                                                   django_assert_max_num_queries):
    from .conftest import many_service_points, route

    many_service_points(30, cycle=utility.cycle)
    lines = [f"B{i:06d},2025-01-05,1000" for i in range(30)] + [f"B{i:06d},2025-02-05,1000" for i in range(30)]
    actions.import_route_file(user=specialist, content=route(lines), name="zero.csv")
    assert ReadException.objects.filter(status="open").count() == 30
    c = client_for(client, "specialist")
    with django_assert_max_num_queries(20):
        assert c.get("/reads/exceptions/").status_code == 200


def test_nav_shows_reads_to_specialists_only(client, utility):
    assert 'href="/reads/exceptions/"' in client_for(client, "specialist").get("/").content.decode()
    client.logout()
    assert 'href="/reads/exceptions/"' not in client_for(client, "assistant").get("/").content.decode()


def test_meter_change_from_the_meter_page(client, meter_with_history, utility):
    from ratepayer.customers.models import Meter, MeterInstallation

    Meter.objects.create(serial_number="E2000555", service="electric")
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    c = client_for(client, "specialist")
    assert 'id="change-form"' in c.get("/reads/meter/E1000123/").content.decode()
    unknown = c.post("/reads/meter/E1000123/change/", {"new_meter": "NOPE", "change_date": "2025-01-20",
                                                       "out_read": str(last.value + 450), "in_read": "100"})
    assert unknown.status_code == 400 and "No meter with serial number" in unknown.content.decode()
    done = c.post("/reads/meter/E1000123/change/", {"new_meter": "E2000555", "change_date": "2025-01-20",
                                                    "out_read": str(last.value + 450), "in_read": "100"}, follow=True)
    assert "replaced by E2000555" in done.content.decode()
    assert MeterInstallation.objects.get(meter__serial_number="E2000555", removed_on__isnull=True)
    kinds = set(RegisterRead.objects.filter(read_date=date(2025, 1, 20)).values_list("read_type", "consumption"))
    assert kinds == {("meter_out", 450), ("meter_in", 0)}
    client.logout()
    refused = client_for(client, "assistant").post("/reads/meter/E2000555/change/", {
        "new_meter": "E1000123", "change_date": "2025-01-21", "out_read": "101", "in_read": "0"})
    assert refused.status_code == 403
