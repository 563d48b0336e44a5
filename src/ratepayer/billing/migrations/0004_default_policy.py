from datetime import date

from django.db import migrations


def seed(apps, schema_editor):
    BillingPolicy = apps.get_model("billing", "BillingPolicy")
    if not BillingPolicy.objects.exists():
        BillingPolicy.objects.create(
            effective_from=date(2000, 1, 1),
            bill_message="Questions about your bill? Call us weekdays 8 a.m. to 5 p.m.",
            bill_message_es="¿Preguntas sobre su factura? Llámenos de lunes a viernes de 8 a.m. a 5 p.m.",
            bill_message_ru="Вопросы по счёту? Звоните в будние дни с 8:00 до 17:00.")


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_bill_runs")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
