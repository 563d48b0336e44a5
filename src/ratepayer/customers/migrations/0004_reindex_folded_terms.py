"""Rebuild the search index with accent-folded terms (customers.search.fold).

Terms written before folding hold "martínez" as "mart" + "nez" and
"smith-jones" as one word; queries are now folded, so every account is
re-indexed. Set-wise: a handful of queries per 2,000 accounts, like
customers.actions.reindex_accounts (which this mirrors with the historical
models, so the migration keeps working as the models evolve).
"""

from collections import defaultdict

from django.db import migrations

CHUNK = 2000


def reindex_all(apps, schema_editor):
    from ratepayer.customers import search

    Account = apps.get_model("customers", "Account")
    Contact = apps.get_model("customers", "Contact")
    ServiceAgreement = apps.get_model("customers", "ServiceAgreement")
    MeterInstallation = apps.get_model("customers", "MeterInstallation")
    SearchEntry = apps.get_model("customers", "SearchEntry")
    db = schema_editor.connection.alias
    ids = list(Account.objects.using(db).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        accounts = list(Account.objects.using(db).filter(pk__in=chunk)
                        .values_list("pk", "number", "customer_id", "customer__name", "mailing_line1"))
        contacts = defaultdict(list)
        for customer_id, name, phone, email in Contact.objects.using(db).filter(
                customer_id__in={a[2] for a in accounts}).values_list("customer_id", "name", "phone", "email"):
            contacts[customer_id].append((name, phone, email))
        addresses, meters, points = defaultdict(list), defaultdict(list), defaultdict(set)
        for account_id, sp_id, line1, line2, city in ServiceAgreement.objects.using(db).filter(
                account_id__in=chunk).values_list("account_id", "service_point_id", "service_point__premise__line1",
                                                  "service_point__premise__line2", "service_point__premise__city"):
            addresses[account_id].append(f"{line1} {line2} {city}")
            points[sp_id].add(account_id)
        for sp_id, serial in MeterInstallation.objects.using(db).filter(service_point_id__in=points).values_list(
                "service_point_id", "meter__serial_number"):
            for account_id in points[sp_id]:
                meters[account_id].append(serial)
        rows = []
        for pk, number, customer_id, customer_name, mailing_line1 in accounts:
            cs = contacts.get(customer_id, [])
            for kind, term in search.terms_for(
                    number=number, names=[customer_name] + [c[0] for c in cs if c[0]],
                    addresses=addresses.get(pk, []) + [mailing_line1], phones=[c[1] for c in cs],
                    emails=[c[2] for c in cs], meters=meters.get(pk, [])):
                rows.append(SearchEntry(account_id=pk, kind=kind, term=term))
        SearchEntry.objects.using(db).filter(account_id__in=chunk).delete()
        SearchEntry.objects.using(db).bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_search_indexes")]
    operations = [migrations.RunPython(reindex_all, migrations.RunPython.noop)]
