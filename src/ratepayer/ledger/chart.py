"""The seeded chart of accounts and posting rules (FERC electric, NARUC water/sewer).

A utility edits these in the admin; code never names a GL number except here,
as the starting data.
"""

from __future__ import annotations

# number, name, kind, system, is_receivable_control
CHART: list[tuple[str, str, str, str, bool]] = [
    ("131", "Cash", "asset", "FERC", False),
    ("131.1", "Cash clearing — undeposited receipts", "asset", "FERC", False),
    ("135", "Working funds (cash drawers)", "asset", "FERC", False),
    ("142", "Customer accounts receivable", "asset", "FERC", True),
    ("143", "Other accounts receivable", "asset", "FERC", False),
    ("144", "Accumulated provision for uncollectible accounts — credit", "asset", "FERC", False),
    ("173", "Accrued utility revenues", "asset", "FERC", False),
    ("186", "Miscellaneous deferred debits", "asset", "FERC", False),
    ("232", "Accounts payable", "liability", "FERC", False),
    ("235", "Customer deposits", "liability", "FERC", False),
    ("237", "Interest accrued", "liability", "FERC", False),
    ("241", "Tax collections payable", "liability", "FERC", False),
    ("242", "Miscellaneous current and accrued liabilities", "liability", "FERC", False),
    ("252", "Customer advances for construction", "liability", "FERC", False),
    ("253", "Other deferred credits", "liability", "FERC", False),
    ("419", "Interest and dividend income", "revenue", "FERC", False),
    ("431", "Other interest expense", "expense", "FERC", False),
    ("440", "Residential sales", "revenue", "FERC", False),
    ("442.1", "Commercial sales (small power)", "revenue", "FERC", False),
    ("442.2", "Industrial sales (large power)", "revenue", "FERC", False),
    ("444", "Public street and highway lighting", "revenue", "FERC", False),
    ("445", "Other sales to public authorities", "revenue", "FERC", False),
    ("448", "Interdepartmental sales", "revenue", "FERC", False),
    ("450", "Forfeited discounts (late-payment charges)", "revenue", "FERC", False),
    ("451", "Miscellaneous service revenues", "revenue", "FERC", False),
    ("456", "Other electric revenues", "revenue", "FERC", False),
    ("903", "Customer records and collection expenses", "expense", "FERC", False),
    ("904", "Uncollectible accounts", "expense", "FERC", False),
    ("908", "Customer assistance expenses", "expense", "FERC", False),
    ("3000", "Opening balance equity (conversion)", "equity", "local", False),
    ("461.1", "Metered water sales — residential", "revenue", "NARUC", False),
    ("461.2", "Metered water sales — commercial", "revenue", "NARUC", False),
    ("461.3", "Metered water sales — industrial", "revenue", "NARUC", False),
    ("461.4", "Metered water sales — public authorities", "revenue", "NARUC", False),
    ("521.1", "Flat rate sewer revenues — residential", "revenue", "NARUC", False),
    ("521.2", "Flat rate sewer revenues — commercial", "revenue", "NARUC", False),
    ("521.3", "Flat rate sewer revenues — industrial", "revenue", "NARUC", False),
    ("521.4", "Flat rate sewer revenues — public authorities", "revenue", "NARUC", False),
    ("522", "Stormwater service revenues", "revenue", "NARUC", False),
    ("470", "Forfeited discounts — water/sewer", "revenue", "NARUC", False),
    ("471", "Miscellaneous service revenues — water/sewer", "revenue", "NARUC", False),
    ("271", "Contributions in aid of construction", "liability", "NARUC", False),
]

_ELECTRIC_REVENUE = {"residential": "440", "commercial": "442.1", "industrial": "442.2", "public_authority": "445"}
_WATER_REVENUE = {"residential": "461.1", "commercial": "461.2", "industrial": "461.3", "public_authority": "461.4"}
_SEWER_REVENUE = {"residential": "521.1", "commercial": "521.2", "industrial": "521.3", "public_authority": "521.4"}


def _revenue_rules(event: str, debit_is_ar: bool) -> list[tuple[str, str, str, str, str]]:
    rules = []
    for service, table in (("electric", _ELECTRIC_REVENUE), ("water", _WATER_REVENUE), ("sewer", _SEWER_REVENUE)):
        for customer_class, revenue in table.items():
            dr, cr = ("142", revenue) if debit_is_ar else (revenue, "142")
            rules.append((event, service, customer_class, dr, cr))
    dr, cr = ("142", "522") if debit_is_ar else ("522", "142")
    rules.append((event, "stormwater", "", dr, cr))
    return rules


# event, service ("" = any), class ("" = any), debit GL, credit GL
POSTING_RULES: list[tuple[str, str, str, str, str]] = [
    *_revenue_rules("bill_charge", debit_is_ar=True),
    ("bill_tax", "", "", "142", "241"),
    ("late_fee", "", "", "142", "450"),
    ("late_fee", "water", "", "142", "470"),
    ("late_fee", "sewer", "", "142", "470"),
    ("service_fee", "", "", "142", "451"),
    ("service_fee", "water", "", "142", "471"),
    ("service_fee", "sewer", "", "142", "471"),
    ("returned_payment_fee", "", "", "142", "451"),
    ("payment", "", "", "131.1", "142"),
    ("deposit_billed", "", "", "142", "235"),
    ("write_off", "", "", "144", "142"),
    ("write_off_recovery", "", "", "131.1", "144"),
    ("refund", "", "", "142", "232"),
    ("opening_balance", "", "", "142", "3000"),
    *_revenue_rules("adjustment_debit", debit_is_ar=True),
    *_revenue_rules("adjustment_credit", debit_is_ar=False),
]


def seed_chart(apps=None) -> None:
    """Create missing GL accounts and posting rules (idempotent)."""
    if apps is None:
        from .models import GLAccount, PostingRule
    else:
        GLAccount = apps.get_model("ledger", "GLAccount")
        PostingRule = apps.get_model("ledger", "PostingRule")
    have = set(GLAccount.objects.values_list("number", flat=True))
    GLAccount.objects.bulk_create([
        GLAccount(number=n, name=name, kind=kind, system=system, is_receivable_control=control)
        for n, name, kind, system, control in CHART if n not in have
    ])
    accounts = {a.number: a for a in GLAccount.objects.all()}
    existing = set(PostingRule.objects.values_list("event", "service", "customer_class"))
    PostingRule.objects.bulk_create([
        PostingRule(event=e, service=s, customer_class=c, debit_account=accounts[dr], credit_account=accounts[cr])
        for e, s, c, dr, cr in POSTING_RULES if (e, s, c) not in existing
    ])
