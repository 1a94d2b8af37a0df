from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0006_published_results"),
    ]

    operations = [
        migrations.AddField(
            model_name="wave",
            name="opens_automatically",
            field=models.BooleanField(
                default=False,
                help_text="A draft kept for its planned start: the reminder run opens it then.",
            ),
        ),
    ]
