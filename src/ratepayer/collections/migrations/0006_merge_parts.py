# The collections app's parts were built side by side, each with its own tables in a
# migration of its own; this joins them so later migrations have one parent.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("collections", "0002_core"),
        ("collections", "0003_protections"),
        ("collections", "0004_plans"),
        ("collections", "0005_writeoffs"),
    ]
    operations: list = []
