from django.db import migrations

REASONS = [
    ("BILLERR", "Billing error", True, True),
    ("LEAK", "Leak adjustment", False, True),
    ("METER", "Meter or read error", True, True),
    ("GOODWILL", "Customer goodwill credit", False, True),
    ("FEEWAIVE", "Fee waived", False, True),
    ("BACKBILL", "Back-billing for unbilled usage", True, False),
    ("TRANSFER", "Balance transfer correction", True, True),
]


def seed(apps, schema_editor):
    AdjustmentReason = apps.get_model("billing", "AdjustmentReason")
    have = set(AdjustmentReason.objects.values_list("code", flat=True))
    AdjustmentReason.objects.bulk_create([
        AdjustmentReason(code=c, description=d, allows_debit=dr, allows_credit=cr)
        for c, d, dr, cr in REASONS if c not in have
    ])


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
