from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "servicechain.surveys"
    label = "surveys"
    verbose_name = "Surveys"
