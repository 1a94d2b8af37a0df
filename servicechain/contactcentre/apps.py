from django.apps import AppConfig


class ContactCentreConfig(AppConfig):
    name = "servicechain.contactcentre"
    label = "contactcentre"
    verbose_name = "Contact centre"

    def ready(self) -> None:
        from servicechain.org.context import register_section, register_trait

        from . import (
            access,
            cards,  # noqa: F401 - registers the home cards
            importers,  # noqa: F401 - registers the "volumes" import kind
        )

        # Earlier labels win: a lead who is also on the phones reads "Team lead".
        register_trait("team_lead", access.led_teams, label="Team lead")
        register_trait("agent", access.is_agent, label="Agent")
        register_trait("contact_centre", access.sees_a_team)
        register_section(
            "My day", "contactcentre:my_day", visible=lambda p: p.has("agent"), group="me", order=5
        )
        register_section(
            "Contact centre",
            "contactcentre:home",
            visible=lambda p: p.has("contact_centre") and not _only_an_agent(p),
            promote=lambda p: p.has("team_lead"),
            group="act",
            order=20,
        )


def _only_an_agent(persona) -> bool:
    """Agents reach the centre through My day; the landing page would only send them there."""
    return persona.has("agent") and persona.is_a("employee")
