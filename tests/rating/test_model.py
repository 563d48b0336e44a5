"""Tariff documents: every example loads; invalid documents get precise errors."""

from __future__ import annotations

import copy

import pytest

from ratepayer import rating

BASE = {
    "id": "test-tariff",
    "name": "Test",
    "versions": [{"effective": "2024-01-01", "components": [
        {"type": "fixed", "name": "base", "amount": "0.29", "per": "day"},
        {"type": "energy", "name": "energy", "blocks": [{"upto": 600, "rate": "0.09"}, {"rate": "0.11"}]},
    ]}],
}


def with_change(path, value):
    doc = copy.deepcopy(BASE)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def test_every_example_loads_with_one_function():
    paths = rating.example_paths()
    names = {p.name for p in paths}
    assert {"snopud_schedule_7.yaml", "snopud_schedule_24.yaml", "seattle_city_light_residential_2024.yaml",
            "clinton_water_district.yaml", "example_winter_average_sewer.yaml"} <= names
    for path in paths:
        tariff = rating.load_tariff(path)
        assert tariff.versions
        assert rating.load_tariff(path.name).id == tariff.id  # bare names resolve to the examples


@pytest.mark.parametrize(
    "path,value,field,reason",
    [
        (("versions", 0, "components", 1, "blocks", 0, "rate"), "0.123456789",
         "versions.0.components.1.blocks.0.rate", "more than 8 decimal places"),
        # nothing in a tariff is negative: a credit is kind: credit with a positive amount
        (("versions", 0, "components", 0, "amount"), "-0.29", "versions.0.components.0.amount", "-0.29 is negative"),
        (("versions", 0, "components", 1, "blocks", 0, "rate"), "-0.09", "versions.0.components.1.blocks.0.rate",
         "kind: credit"),
        (("versions", 0, "components", 1, "blocks", 0, "upto"), "-600", "versions.0.components.1.blocks.0.upto",
         "-600 is negative"),
        (("versions", 0, "components", 1, "blocks"), [{"upto": 600, "rate": 1}, {"upto": 500, "rate": 1},
                                                      {"rate": 1}], "versions.0.components.1", "greater than"),
        (("versions", 0, "components", 1, "blocks"), [{"rate": 1}, {"rate": 2}], "versions.0.components.1",
         "no 'upto'"),
        (("versions", 0, "components", 1, "blocks"), [{"upto": 5, "rate": 1}], "versions.0.components.1",
         "last block must not have 'upto'"),
        (("versions", 0, "components", 0, "per"), "fortnight", "versions.0.components.0.per", "Input should be"),
        (("versions", 0, "components", 0, "amount"), "abc", "versions.0.components.0.amount", "not a number"),
        (("versions", 0, "components", 0, "colour"), "red", "versions.0.components.0.colour", "Extra inputs"),
        (("versions", 0, "components", 1, "blocks", 0, "upto"), "600.12345", "versions.0.components.1.blocks.0.upto",
         "more than 4 decimal places"),
        (("versions", 0, "effective"), "2024-13-01", "versions.0.effective", "date"),
        (("id",), "Not An Id", "id", "pattern"),
        (("timezone",), "Mars/Olympus", None, "unknown time zone"),
    ],
)
def test_invalid_documents_name_the_field_and_the_reason(path, value, field, reason):
    with pytest.raises(rating.TariffError) as info:
        rating.parse_tariff(with_change(path, value))
    if field:
        assert info.value.field == field
    assert reason in str(info.value)


def test_unknown_component_type():
    doc = with_change(("versions", 0, "components", 0), {"type": "surcharge", "name": "x"})
    with pytest.raises(rating.TariffError) as info:
        rating.parse_tariff(doc)
    assert info.value.field == "versions.0.components.0"
    assert "surcharge" in str(info.value)


def test_references_to_unknown_periods_and_seasons():
    doc = with_change(("versions", 0, "components", 1), {"type": "energy", "name": "e", "tou": {"peak": [{"rate": 1}]}})
    with pytest.raises(rating.TariffError, match="unknown TOU period 'peak'"):
        rating.parse_tariff(doc)
    doc = with_change(("versions", 0, "components", 1, "season"), "summer")
    with pytest.raises(rating.TariffError, match="unknown season 'summer'"):
        rating.parse_tariff(doc)


def test_versions_must_increase_and_one_minimum():
    doc = copy.deepcopy(BASE)
    doc["versions"].append(copy.deepcopy(doc["versions"][0]))
    with pytest.raises(rating.TariffError, match="increasing order"):
        rating.parse_tariff(doc)
    doc = copy.deepcopy(BASE)
    doc["versions"][0]["components"] += [{"type": "minimum", "name": "m1", "amount": 1},
                                         {"type": "minimum", "name": "m2", "amount": 2}]
    with pytest.raises(rating.TariffError, match="at most one minimum"):
        rating.parse_tariff(doc)


def test_yaml_errors_name_the_line(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("id: x\nname: [unclosed\n")
    with pytest.raises(rating.TariffError, match=r"t.yaml: invalid YAML at line \d+"):
        rating.load_tariff(path)


def test_floats_in_yaml_are_read_as_written():
    tariff = rating.load_tariff("snopud_schedule_7.yaml")
    energy = tariff.versions[0].components[0]
    assert str(energy.blocks[0].rate) == "0.10414"


def test_no_version_in_effect_is_an_error():
    from datetime import date
    from decimal import Decimal

    from ratepayer.kernel.periods import Period

    tariff = rating.parse_tariff(BASE)
    with pytest.raises(rating.RatingError, match="no version in effect on 2023-12-31"):
        rating.rate(tariff, rating.RegisterUsage(Decimal(1)), Period(date(2023, 12, 31), date(2024, 1, 30)))


def test_documents_round_trip_through_json():
    import json

    for path in rating.example_paths():
        tariff = rating.load_tariff(path)
        doc = json.loads(json.dumps(rating.to_document(tariff)))
        assert rating.parse_tariff(doc) == tariff
    holidays_off = rating.parse_tariff(dict(BASE, holidays={"country": None, "dates": ["2024-07-05"]}))
    assert rating.parse_tariff(rating.to_document(holidays_off)).holidays.country is None


def test_rider_of_must_name_kinds_or_earlier_components():
    doc = copy.deepcopy(BASE)
    doc["versions"][0]["components"].append({"type": "rider", "name": "tax", "percent": 5, "of": ["enrgy"]})
    with pytest.raises(rating.TariffError, match="'of' names 'enrgy'"):
        rating.parse_tariff(doc)
    doc["versions"][0]["components"][-1]["of"] = ["energy", "base"]
    assert rating.parse_tariff(doc)


def test_a_tariff_names_the_facts_it_bills_on():
    from ratepayer import rating

    def facts(name):
        return rating.facts_needed(rating.load_tariff(name))

    assert facts("snopud_schedule_7") == {"usage", "size_class"}
    assert facts("union_gap_sewer") == {"usage", "meter_size"}
    assert facts("example_winter_average_sewer") == {"usage", "winter_average_daily"}
    assert facts("lake_stevens_sewer") == {"dwelling_units"}
    assert facts("snopud_schedule_24") == {"usage", "connected_load_kw"}
    assert all(fact in rating.FACTS for path in rating.example_paths() for fact in facts(path))
