"""`servicechain manage survey_reminders`: open and close due waves, remind non-respondents."""

from django.core.management.base import BaseCommand

from servicechain.surveys.tasks import reminders_run, send_reminders


class Command(BaseCommand):
    help = (
        "Open survey waves kept for their planned start once it has come, close waves past "
        "their closing time and e-mail fresh links to invitees who have not answered (each "
        "wave's reminder interval applies). Run it hourly or daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="only this organisation (slug)")
        parser.add_argument("--wave", type=int, help="only this wave (id)")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it as a background task instead"
        )

    def handle(self, *args, org=None, wave=None, enqueue=False, **options):
        if enqueue:
            result = send_reminders.enqueue(organization_slug=org, wave_id=wave)
            self.stdout.write(f"Queued reminder task {result.id}.")
            return
        outcome = reminders_run(organization_slug=org, wave_id=wave)
        for name in outcome["opened"]:
            self.stdout.write(f"Opened {name} at its planned start.")
        for name in outcome["closed"]:
            self.stdout.write(f"Closed {name}.")
        for name, count in outcome["reminded"].items():
            self.stdout.write(f"{name}: {count} reminder(s) e-mailed.")
        if not outcome["opened"] and not outcome["closed"] and not outcome["reminded"]:
            self.stdout.write("No open waves.")
