"""Meter read endpoints: read entry, meter change, route and interval files, the exceptions queue."""

from __future__ import annotations

from datetime import date

import pytest

from ratepayer.customers.models import Meter, MeterInstallation
from ratepayer.metering.models import IntervalDay, ReadException, RegisterRead
from tests.formats import samples
from tests.metering.conftest import meter_with_history, monthly_reads  # noqa: F401  (fixture)


@pytest.fixture
def specialist(users):
    return users["specialist"]


def test_enter_a_read(api, tokens, meter_with_history):  # noqa: F811
    response = api.post("/api/v1/meters/E1000123/reads", tokens["specialist"],
                        {"read_date": "2025-02-05", "value": "12930", "note": "read at the counter"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "valid" and body["meter"] == "E1000123"
    assert RegisterRead.objects.filter(pk=body["id"], value=12930).exists()


def test_an_unusual_read_is_held_in_the_queue_and_decided(api, tokens, meter_with_history):  # noqa: F811
    last = RegisterRead.objects.filter(meter=meter_with_history).latest("read_date")
    held = api.post("/api/v1/meters/E1000123/reads", tokens["specialist"],
                    {"read_date": "2025-02-05", "value": str(last.value + 9300)})
    assert held.status_code == 201 and held.json()["status"] == "exception"
    exception_id = held.json()["exception_id"]
    listed = api.get("/api/v1/read-exceptions", tokens["specialist"])
    assert listed.status_code == 200, listed.content
    row, = [r for r in listed.json()["items"] if r["id"] == exception_id]
    assert row["meter"] == "E1000123" and row["read_date"] == "2025-02-05" and row["reasons"]
    assert api.get("/api/v1/read-exceptions", tokens["assistant"]).status_code == 403
    assert api.get("/api/v1/read-exceptions", tokens["specialist"], limit=501).status_code == 422
    decided = api.post(f"/api/v1/read-exceptions/{exception_id}/decision", tokens["specialist"],
                       {"decision": "estimate", "note": "dog in the yard"})
    assert decided.status_code == 200, decided.content
    assert ReadException.objects.get(pk=exception_id).status == "resolved"
    assert exception_id not in [r["id"] for r in api.get("/api/v1/read-exceptions", tokens["specialist"])
                                .json()["items"]]


def test_a_future_read_is_refused(api, tokens, meter_with_history, unchanged):  # noqa: F811
    with unchanged():
        response = api.post("/api/v1/meters/E1000123/reads", tokens["specialist"],
                            {"read_date": "2999-01-01", "value": "1"})
    assert response.status_code == 400 and response.json()["code"] == "metering_refused"


def test_change_a_meter(api, tokens, meter_with_history):  # noqa: F811
    Meter.objects.create(serial_number="E1000456", service="electric", dial_count=5)
    response = api.post("/api/v1/meters/E1000123/change", tokens["specialist"], {
        "new_meter": "E1000456", "change_date": "2025-01-20", "out_read": "12500", "in_read": "0"})
    assert response.status_code == 201, response.content
    assert response.json()["in_read"]["meter"] == "E1000456"
    assert MeterInstallation.objects.get(removed_on__isnull=True, service_point=meter_with_history
                                         .installations.first().service_point).meter.serial_number == "E1000456"


def test_import_a_route_file_and_the_same_file_again(api, tokens, utility):
    content = samples.route_file([("E1000123", date(2024, 2, 5), 900)])
    first = api.post("/api/v1/read-files", tokens["specialist"], files={"file": _upload("route.csv", content)})
    assert first.status_code == 201, first.content
    assert first.json()["rows"] == 1
    again = api.post("/api/v1/read-files", tokens["specialist"], files={"file": _upload("route.csv", content)})
    assert again.status_code == 409 and again.json()["code"] == "already_imported"


def test_a_bad_route_file_is_refused_whole(api, tokens, utility, unchanged):
    content = samples.route_file([("E1000123", date(2024, 2, 5), 900)]).replace(b"900", b"nine")
    with unchanged():
        response = api.post("/api/v1/read-files", tokens["specialist"], files={"file": _upload("bad.csv", content)})
    assert response.status_code == 400 and response.json()["code"] == "file_refused"
    assert response.json()["detail"]


def test_import_an_interval_file(api, tokens, users):
    Meter.objects.create(serial_number="AMI-0001", service="electric", kind="interval")
    response = api.post("/api/v1/interval-files", tokens["specialist"],
                        files={"file": _upload("ami.csv", samples.interval_csv("AMI-0001"))})
    assert response.status_code == 201, response.content
    assert response.json()["intervals"] == 8
    assert IntervalDay.objects.exists()


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")

