"""Action plans get tasks, progress updates, a goal and sharing with the team.

Each line of a plan's old free-text `actions` becomes a task due with the plan (done when
the plan was done), so no plan loses what it said it would do.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def actions_to_tasks(apps, schema_editor):
    ActionPlan = apps.get_model("insights", "ActionPlan")
    PlanTask = apps.get_model("insights", "PlanTask")
    tasks = []
    for plan in ActionPlan.objects.only("pk", "actions", "due_date", "status", "updated_at"):
        for line in plan.actions.splitlines():
            if line.strip():
                done = plan.status == "done"
                tasks.append(
                    PlanTask(
                        plan_id=plan.pk,
                        title=line.strip()[:200],
                        due_date=plan.due_date,
                        done=done,
                        done_at=plan.updated_at if done else None,
                    )
                )
    PlanTask.objects.bulk_create(tasks, batch_size=1000)


def tasks_to_actions(apps, schema_editor):
    ActionPlan = apps.get_model("insights", "ActionPlan")
    for plan in ActionPlan.objects.prefetch_related("tasks"):
        plan.actions = "\n".join(task.title for task in plan.tasks.all()) or "-"
        plan.save(update_fields=["actions"])


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0001_initial'),
        ('org', '0002_import_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='actionplan',
            name='goal',
            field=models.TextField(blank=True, help_text='What should be different by the due date, and how the team will know.'),
        ),
        migrations.AddField(
            model_name='actionplan',
            name='shared_with_team',
            field=models.BooleanField(default=False, help_text='Employees of the unit (and of the units below it) may read the plan.'),
        ),
        migrations.CreateModel(
            name='PlanTask',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200)),
                ('due_date', models.DateField()),
                ('done', models.BooleanField(default=False)),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('suggestion', models.CharField(blank=True, max_length=60)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='plan_tasks', to='org.employee')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='insights.actionplan')),
            ],
            options={
                'ordering': ['due_date', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='ProgressUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='progress_updates', to='insights.actionplan')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.RunPython(actions_to_tasks, tasks_to_actions),
        migrations.RemoveField(
            model_name='actionplan',
            name='actions',
        ),
    ]
