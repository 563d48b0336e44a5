from django.db import migrations


def bytewise_terms(apps, schema_editor):
    # Prefix searches are range scans [w, w + '{'): they need byte order,
    # which SQLite has by default and PostgreSQL gets from the "C" collation.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE customers_searchentry ALTER COLUMN term TYPE varchar(120) COLLATE "C"')


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(bytewise_terms, migrations.RunPython.noop)]
