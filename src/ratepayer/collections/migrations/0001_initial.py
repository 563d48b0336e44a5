# The collections app's first migration: empty, so that each part of the app adds its
# own tables in a migration of its own.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_billing_policy_winter_months"),
        ("payments", "0006_statement_references"),
    ]
    operations: list = []
