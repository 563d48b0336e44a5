"""Tariff documents as people edit them: YAML <-> stored JSON, error lines, side by side."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer import rating
from ratepayer.rates import documents
from ratepayer.rates.errors import DocumentError


@pytest.mark.parametrize("path", rating.example_paths(), ids=lambda p: p.name)
def test_every_example_round_trips_through_the_stored_form_and_yaml(path):
    tariff = rating.load_tariff(path)
    stored = documents.stored_document(tariff)
    assert rating.parse_tariff(stored) == tariff
    text = documents.to_yaml(stored)
    assert documents.tariff_from_yaml(text) == tariff
    assert text.startswith("format: ratepayer-tariff/1\n")
    assert f"service: {tariff.service}\n" in text


def test_yaml_shows_exact_decimals_as_plain_numbers():
    text = documents.to_yaml(documents.stored_document(rating.load_tariff("snopud_schedule_7.yaml")))
    assert "rate: 0.09231\n" in text and "'0.09231'" not in text
    assert "small: 0.32\n" in text  # one amount a line: a diff shows which one changed


def test_a_field_error_names_the_path_and_the_line_it_is_written_on():
    text = documents.to_yaml(documents.stored_document(rating.load_tariff("snopud_schedule_7.yaml")))
    bad = text.replace("rate: 0.09231", "rate: 0.0923x")
    with pytest.raises(DocumentError) as caught:
        documents.tariff_from_yaml(bad)
    error = caught.value
    assert error.field == "versions.4.components.1.blocks.0.rate"
    assert bad.splitlines()[error.line - 1].strip() == "- rate: 0.0923x"
    assert str(error).startswith(f"line {error.line}: versions.4.components.1.blocks.0.rate: ")


def test_a_check_across_fields_points_at_the_component():
    text = """format: ratepayer-tariff/1
id: t
name: T
versions:
  - effective: 2025-01-01
    components:
      - {type: fixed, name: base, amount: 1, per: day}
      - type: energy
        name: energy
        season: summer
        blocks: [{rate: 0.1}]
"""
    with pytest.raises(DocumentError) as caught:
        documents.tariff_from_yaml(text)
    assert "unknown season 'summer'" in str(caught.value)
    assert caught.value.line == 8  # "- type: energy"


def test_yaml_syntax_errors_name_the_line():
    with pytest.raises(DocumentError) as caught:
        documents.tariff_from_yaml("format: ratepayer-tariff/1\nid: t\nname: [unclosed\nversions: []\n")
    assert caught.value.line is not None and "not valid YAML" in str(caught.value)
    with pytest.raises(DocumentError, match="empty"):
        documents.parse_yaml("  \n")
    with pytest.raises(DocumentError, match="a tariff document must be a mapping"):
        documents.tariff_from_yaml("- just\n- a list\n")


def test_line_of_falls_back_to_the_nearest_written_parent():
    text = "versions:\n  - effective: 2025-01-01\n    components:\n      - {type: fixed}\n"
    assert documents.line_of(text, "versions.0.components.0.amount") == 4
    assert documents.line_of(text, "versions.7") == 1
    assert documents.line_of("a: [", "a") is None
    assert documents.line_of(text, None) is None


def test_side_by_side_marks_changed_added_and_removed_lines():
    left = "a\nb\nc\nd\n"
    right = "a\nB\nc\nd\ne\n"
    rows = documents.side_by_side(left, right)
    assert [(r.left_number, r.right_number, r.change) for r in rows] == [
        (1, 1, "equal"), (2, 2, "replace"), (3, 3, "equal"), (4, 4, "equal"), (None, 5, "insert")]
    rows = documents.side_by_side("a\nb\n", "a\n")
    assert rows[-1].change == "delete" and rows[-1].right_number is None


def test_rates_on_keeps_only_the_rates_of_that_day():
    stored = documents.stored_document(rating.load_tariff("snopud_schedule_7.yaml"))
    tariff = documents.rates_on(stored, date(2025, 6, 1))
    assert len(tariff.versions) == 1
    energy = tariff.versions[0].components[1]
    assert energy.blocks[0].rate == Decimal("0.09231")
