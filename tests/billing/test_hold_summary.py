"""The review queue names each hold reason once, in words, with a count (issue 10, point 14)."""

from ratepayer.billing.queries import hold_summary


def test_each_reason_once_in_words_with_its_count_and_where():
    reasons = [{"code": "usage_problem", "message": "Electric: no read"},
               {"code": "usage_problem", "message": "Water: no read"},
               {"code": "usage_problem", "message": "Sewer: no read"},
               {"code": "usage_problem", "message": "Sewer: no read"},
               {"code": "high_bill", "message": "Bill 912.00 is more than 50% above the 12-month average 300.00"}]
    summary = hold_summary(reasons)
    assert [(r.words, r.count) for r in summary] == [("Read missing or unusable", 4),
                                                     ("High bill (above the 12-month average)", 1)]
    assert summary[0].details == ["Electric: no read", "Water: no read", "Sewer: no read"]
    assert hold_summary([{"code": "some_new_code", "message": ""}])[0].words == "Some new code"
