from datetime import date
from decimal import Decimal

from django.db import migrations

from ratepayer.db.triggers import make_append_only
from ratepayer.staff.roles import DEFAULT_LIMITS, ROLES


def seed_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    ApprovalLimit = apps.get_model("staff", "ApprovalLimit")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    existing = set(ApprovalLimit.objects.values_list("role", "action"))
    ApprovalLimit.objects.bulk_create([
        ApprovalLimit(role=role, action=action, amount=Decimal(amount), effective_from=date(2000, 1, 1),
                      reason="default limit")
        for role, actions in DEFAULT_LIMITS.items() for action, amount in actions.items()
        if (role, action) not in existing
    ])


forwards, backwards = make_append_only("staff_auditevent", "staff_approvallimit")


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [
        migrations.RunPython(seed_roles, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
