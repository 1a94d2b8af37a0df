"""`servicechain manage privacy_retention [--org SLUG] [--dry-run] [--enqueue]`: apply each
organisation's retention policy (docs/privacy.md, "Retention"). Run it daily (cron or a
scheduler) or queue it as a background task."""

from django.core.management.base import BaseCommand, CommandError

from servicechain.org.models import Organization
from servicechain.org.services import retention_apply
from servicechain.org.tasks import apply_retention


class Command(BaseCommand):
    help = (
        "Blank survey comments and delete audit events (and incidents, once the care app "
        "keeps them) older than each organisation's retention policy, printing what went."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="only this organisation (its slug)")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, change nothing"
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it as a background task instead"
        )

    def handle(self, *args, org=None, dry_run=False, enqueue=False, **options):
        organization = None
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organisation {org!r}.")
        if enqueue:
            result = apply_retention.enqueue(organization_slug=org)
            self.stdout.write(f"Queued the retention task {result.id}.")
            return
        outcomes = retention_apply(dry_run=dry_run, organization=organization)
        if not outcomes:
            self.stdout.write(
                "No retention policy is set: nothing removed. Set one per organisation in "
                "the admin (Organisations › an organisation › Retention policy)."
            )
        for outcome in outcomes:
            self.stdout.write(outcome.line())
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
