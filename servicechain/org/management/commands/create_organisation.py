from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from servicechain.org.services import organization_create


class Command(BaseCommand):
    help = "Create an organisation (then import its units, employees, …)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--min-group-size", type=int, default=None)

    def handle(self, *args, slug, name, min_group_size, **options):
        try:
            organization = organization_create(slug=slug, name=name, min_group_size=min_group_size)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(f"Created {organization.name} ({organization.slug}).")
