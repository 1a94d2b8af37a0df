"""The organisation's repeaters of each published month, so the programme dashboard's
repeat-customer rate is read from the publication too; months published before this field
are filled from the purchases as recorded now (their one publication of it)."""

from collections import defaultdict

from django.db import migrations, models
from django.db.models.functions import ExtractMonth, ExtractYear


def fill_repeaters(apps, schema_editor):
    Month = apps.get_model("loyalty", "RepeatBusinessMonth")
    Transaction = apps.get_model("org", "Transaction")
    for organization_id in Month.objects.values_list("organization_id", flat=True).distinct():
        bought = defaultdict(set)
        pairs = (
            Transaction.objects.filter(organization_id=organization_id)
            .annotate(period=ExtractYear("occurred_at") * 12 + ExtractMonth("occurred_at") - 1)
            .values_list("customer_id", "period")
            .distinct()
        )
        for customer, period in pairs.iterator(chunk_size=10_000):
            bought[period].add(customer)
        for month in Month.objects.filter(organization_id=organization_id):
            month.repeaters = len(bought[month.period] & bought[month.period - 1])
            month.save(update_fields=["repeaters"])


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0004_asset_service_code"),
        ("org", "0006_transaction_interaction_service_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="repeatbusinessmonth",
            name="repeaters",
            field=models.IntegerField(
                help_text="The organisation's buyers of this month who bought the month before.",
                null=True,
            ),
        ),
        migrations.RunPython(fill_repeaters, migrations.RunPython.noop),
    ]
