from django.apps import AppConfig


class ContactCentreConfig(AppConfig):
    name = "servicechain.contactcentre"
    label = "contactcentre"
    verbose_name = "Contact centre"
