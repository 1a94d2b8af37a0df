"""Merges two insights migrations made at the same time: action plans' tasks and progress
updates, and the results cells moving to the surveys app. They touch different models."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_action_plan_tasks_updates"),
        ("insights", "0002_results_move_to_surveys"),
    ]

    operations = []
