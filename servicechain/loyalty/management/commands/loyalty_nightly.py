from django.core.management.base import BaseCommand

from servicechain.loyalty.nightly import nightly_run


class Command(BaseCommand):
    help = (
        "Confirm points past their return window, expire inactive accounts, warn before "
        "expiry, hand over leavers' accounts, raise service reminders and send their e-mails."
    )

    def handle(self, *args, **options):
        totals = nightly_run()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in totals.items()))
