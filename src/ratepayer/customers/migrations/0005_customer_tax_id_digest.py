from django.db import migrations

import ratepayer.customers.fields

CHUNK = 2000


def fill_digests(apps, schema_editor):
    """Digest every stored tax ID (decrypted in the migration's process only)."""
    Customer = apps.get_model("customers", "Customer")
    digest = ratepayer.customers.fields.tax_id_digest
    ids = list(Customer.objects.exclude(tax_id="").exclude(tax_id__isnull=True).order_by("pk")
               .values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        rows = list(Customer.objects.filter(pk__in=ids[start:start + CHUNK]).only("pk", "tax_id"))
        for row in rows:
            row.tax_id_digest = digest(row.tax_id)
        Customer.objects.bulk_update(rows, ["tax_id_digest"])


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0004_reindex_folded_terms"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="tax_id_digest",
            field=ratepayer.customers.fields.TaxIdDigestField(
                blank=True, db_index=True, editable=False,
                help_text="keyed hash of the tax ID's digits: finds duplicates, reveals nothing", max_length=64),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
    ]
