"""`servicechain manage notifications_due`: tell owners of action plans falling due, and
retry notification e-mails that failed. Run it daily (cron or a scheduler)."""

from django.core.management.base import BaseCommand

from servicechain.notifications.services import action_plans_due_notify, emails_retry
from servicechain.notifications.tasks import notifications_due


class Command(BaseCommand):
    help = (
        "Notify each open action plan's owner once when it is due within 7 days and once "
        "when it is overdue, then send again notification e-mails that failed. Safe to run "
        "as often as you like: nobody is told the same thing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it as a background task instead"
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = notifications_due.enqueue()
            self.stdout.write(f"Queued notifications task {result.id}.")
            return
        plans = action_plans_due_notify()
        emails = emails_retry()
        self.stdout.write(f"Action plans due or overdue: {plans} notification(s) sent.")
        self.stdout.write(f"E-mails retried: {emails['sent']} sent, {emails['failed']} failed.")
