"""What every write endpoint shares: idempotency keys, error codes, paging bounds.

Shown on one endpoint (an adjustment), since the mechanism is the same for all
(``api.schemas.write``); test_console_coverage.py proves every POST uses it."""

from __future__ import annotations

from decimal import Decimal

from ratepayer.api.models import IdempotencyKey
from ratepayer.billing.models import Adjustment
from ratepayer.ledger import checks
from ratepayer.ledger.models import ARBalance


def _url(utility):
    return f"/api/v1/accounts/{utility.account.number}/adjustments"


def _body(utility, amount="12.50"):
    return {"agreement_id": utility.water.pk, "direction": "credit", "amount": amount, "reason": "LEAK",
            "memo": "Leak repaired, receipt seen"}


def _balance(agreement):
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else Decimal("0.00")


def test_the_same_key_twice_posts_once_and_replays_the_first_answer(api, utility, tokens):
    first = api.post(_url(utility), tokens["specialist"], _body(utility), key="retry-7f3a")
    assert first.status_code == 201, first.content
    again = api.post(_url(utility), tokens["specialist"], _body(utility), key="retry-7f3a")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Adjustment.objects.count() == 1
    assert _balance(utility.water) == Decimal("-12.50")  # one credit, not two
    assert checks.run_all()["ok"]


def test_a_new_key_is_a_new_action(api, utility, tokens):
    for key in ("a-1", "a-2"):
        assert api.post(_url(utility), tokens["specialist"], _body(utility), key=key).status_code == 201
    assert Adjustment.objects.count() == 2


def test_the_same_key_with_another_body_is_refused_409(api, utility, tokens, unchanged):
    api.post(_url(utility), tokens["specialist"], _body(utility), key="k-1")
    with unchanged():
        response = api.post(_url(utility), tokens["specialist"], _body(utility, "99.00"), key="k-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert _balance(utility.water) == Decimal("-12.50")


def test_keys_belong_to_their_user(api, utility, tokens):
    assert api.post(_url(utility), tokens["specialist"], _body(utility), key="shared").status_code == 201
    assert api.post(_url(utility), tokens["senior"], _body(utility), key="shared").status_code == 201
    assert Adjustment.objects.count() == 2


def test_a_post_without_a_key_is_refused_and_changes_nothing(api, utility, tokens, unchanged):
    with unchanged():
        response = api.post(_url(utility), tokens["specialist"], _body(utility), key=None)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in body["message"]


def test_a_refusal_does_not_use_up_the_key(api, utility, tokens, unchanged):
    with unchanged():
        refused = api.post(_url(utility), tokens["specialist"], {**_body(utility), "memo": " "}, key="fix-and-retry")
    assert refused.status_code == 400
    assert refused.json()["code"] == "billing_refused"
    assert refused.json()["message"].startswith("Memo:")
    assert not IdempotencyKey.objects.exists()
    fixed = api.post(_url(utility), tokens["specialist"], _body(utility), key="fix-and-retry")
    assert fixed.status_code == 201


def test_permission_refused_has_its_code_and_changes_nothing(api, utility, tokens, unchanged):
    with unchanged():
        response = api.post(_url(utility), tokens["assistant"], _body(utility))
    assert response.status_code == 403
    assert response.json() == {"code": "permission_refused",
                               "message": "assistant is not allowed to make adjustments.",
                               "detail": "assistant is not allowed to make adjustments."}


def test_a_body_that_does_not_validate_is_422_invalid_naming_the_field(api, utility, tokens, unchanged):
    with unchanged():
        response = api.post(_url(utility), tokens["specialist"], {"direction": "credit"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "agreement_id" in body["message"]
    assert {tuple(e["loc"]) for e in body["detail"]} >= {("body", "payload", "agreement_id")}


def test_unknown_account_is_404_not_found(api, utility, tokens, unchanged):
    with unchanged():
        response = api.post("/api/v1/accounts/99999997/adjustments", tokens["specialist"], _body(utility))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_absurd_paging_is_refused_not_a_500(api, utility, tokens):
    url = f"/api/v1/accounts/{utility.account.number}/transactions"
    for params, field in (({"offset": "99999999999999999999"}, "offset"), ({"offset": 10_000_001}, "offset"),
                          ({"limit": 10**12}, "limit"), ({"limit": 0}, "limit")):
        response = api.get(url, token=tokens["assistant"], **params)
        assert response.status_code == 422, (params, response.status_code)
        assert response.json()["code"] == "invalid"
        assert response.json()["detail"][0]["loc"] == ["query", field]
    assert api.get(url, token=tokens["assistant"], offset=10_000_000).status_code == 200
    response = api.get("/api/v1/bill-runs", token=tokens["assistant"], offset="99999999999999999999")
    assert response.status_code == 422
