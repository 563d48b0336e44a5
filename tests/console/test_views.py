"""Console shell pages through Django's test client: sign in, navigation, search
and home — what each role sees and how many queries a page costs."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from ratepayer.billing.actions import request_adjustment
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.ledger.models import ARBalance
from ratepayer.staff.models import LoginFailure
from tests.factories import PASSWORD

D = Decimal


def balance(agreement) -> Decimal:
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def post_bills(utility, user, months: int) -> None:
    rules = PostingRules()
    for month in range(months):
        for agreement in (utility.electric, utility.water):
            dr, cr = rules.accounts("bill_charge", agreement.service, agreement.customer_class)
            post(event="bill_charge", effective_date=date(2024, 1, 31) + timedelta(days=30 * month), description="Bill",
                 lines=[Line(dr, debit=D("10.00"), account_id=utility.account.pk, agreement_id=agreement.pk),
                        Line(cr, credit=D("10.00"), account_id=utility.account.pk, agreement_id=agreement.pk)],
                 created_by=user)


def account_url(utility, name="customers:account"):
    return reverse(name, args=[utility.account.number])


def test_pages_need_a_signed_in_user(client, utility):
    for url in ["/", "/search/?q=doe", account_url(utility), "/approvals/", "/audit/", "/limits/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(client, users, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/login/", {"username": "specialist", "password": "nope-nope-nope"})
        assert response.status_code == 200 and "do not match" in response.content.decode()
    assert LoginFailure.objects.filter(username="specialist").count() == 3
    response = client.post("/login/", {"username": "specialist", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # another user is not affected, and a good sign-in clears that user's failures
    LoginFailure.objects.create(username="senior")
    response = client.post("/login/", {"username": "senior", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not LoginFailure.objects.filter(username="senior").exists()


def test_logout_is_a_post(signed_in):
    client = signed_in("assistant")
    response = client.post("/logout/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_navigation_shows_only_what_the_role_may_open(signed_in):
    from ratepayer.console import nav

    assistant = signed_in("assistant").get("/").content.decode()
    assert 'href="/approvals/"' not in assistant and 'href="/audit/"' not in assistant
    supervisor = signed_in("supervisor").get("/").content.decode()
    assert 'href="/approvals/"' in supervisor and 'href="/audit/"' in supervisor

    nav.ENTRIES.append(nav.NavEntry("Not built yet", "billing:nothing-here", "account.view"))
    try:
        assert "Not built yet" not in signed_in("supervisor").get("/").content.decode()
    finally:
        nav.ENTRIES.pop()


def test_content_security_policy_forbids_inline_code(signed_in):
    response = signed_in("assistant").get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    html = response.content.decode()
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_search_finds_by_number_name_address_phone_email_and_meter(signed_in, utility):
    client = signed_in("assistant")
    number = utility.account.number
    for query in [number, "jane", "doe jane", "1204 pine", "425 555 0142", "555-0142", "jane.doe@example.com",
                  "e1000123"]:
        response = client.get("/search/", {"q": query}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert number in response.content.decode(), query
    response = client.get("/search/", {"q": "nobody-by-that-name"}, headers={"HX-Request": "true"})
    assert "No account matches" in response.content.decode()


def test_enter_on_a_single_match_opens_the_account(signed_in, utility):
    client = signed_in("assistant")
    response = client.get("/search/", {"q": utility.account.number})
    assert response.status_code == 302 and response["Location"] == account_url(utility)
    response = client.get("/search/", {"q": "jane", "go": "0"})
    assert response.status_code == 200 and "Jane Doe" in response.content.decode()


def test_search_costs_the_same_few_queries_however_many_accounts_match(signed_in, utility, users,
                                                                      django_assert_max_num_queries):
    from ratepayer.customers import actions

    client = signed_in("assistant")
    for i in range(30):
        customer = actions.create_customer(user=users["specialist"], name=f"Jane Roe {i}")
        actions.open_account(user=users["specialist"], customer=customer, mailing_line1=f"{i} Elm St",
                             mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    with django_assert_max_num_queries(9):
        response = client.get("/search/", {"q": "jane"}, headers={"HX-Request": "true"})
    assert response.content.decode().count('class="result"') == 25


def test_search_query_count_does_not_grow_with_the_accounts_found(signed_in, utility, users,
                                                                  django_assert_max_num_queries):
    """The search page and the live results cost the same few queries for two
    accounts found as for twenty-five, with each one's service address and balance."""
    from ratepayer.customers import actions

    def opened(names):
        for name in names:
            customer = actions.create_customer(user=users["specialist"], name=name)
            actions.open_account(user=users["specialist"], customer=customer, mailing_line1="9 Elm St",
                                 mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))

    post_bills(utility, users["specialist"], 1)
    client = signed_in("assistant")
    client.get("/")  # session warm-up
    opened(["Jane Roe"])
    counts = {}
    for size in ("small", "large"):
        for query, headers in (("jane", {}), ("jane", {"HX-Request": "true"}), ("jane roe", {})):
            with django_assert_max_num_queries(8) as captured:
                response = client.get("/search/", {"q": query, "go": "0"}, headers=headers)
            html = response.content.decode()
            assert response.status_code == 200 and "Jane Roe" in html
            if query == "jane" and size == "small":
                assert "1204 Pine St, Everett" in html and "$20.00" in html  # Jane Doe's service address, balance
            counts.setdefault((query, bool(headers)), []).append(len(captured.captured_queries))
        if size == "small":
            opened([f"Jane Roe {i}" for i in range(30)])
    assert html.count('class="result"') == 25
    assert all(small == large for small, large in counts.values()), counts


def test_home_shows_my_approvals_and_the_accounts_i_opened(signed_in, utility, users):
    request_adjustment(user=users["specialist"], agreement=utility.electric, direction="debit", amount="900.00",
                       reason_code="BACKBILL", memo="bypass")
    senior = signed_in("senior")
    senior.get(account_url(utility))
    html = senior.get("/").content.decode()
    assert "Debit adjustment $900.00" in html and utility.account.number in html
    maker = signed_in("specialist").get("/").content.decode()
    assert "Debit adjustment $900.00" in maker and "pending" in maker


def test_pages_are_never_cached(signed_in, utility):
    response = signed_in("senior").get(account_url(utility))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_live_search_after_the_session_ended_sends_the_page_to_sign_in(client, utility):
    response = client.get("/search/", {"q": "jane"}, headers={
        "HX-Request": "true", "HX-Current-URL": f"http://testserver{account_url(utility)}"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/?next=http%3A%2F%2Ftestserver%2Faccounts%2F")
    response = client.get("/search/", {"q": "jane"}, headers={
        "HX-Request": "true", "HX-Current-URL": "https://evil.example/phish"})
    assert response["HX-Redirect"] == "/login/?next=%2F"
