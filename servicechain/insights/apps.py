from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "servicechain.insights"
    label = "insights"
    verbose_name = "Insights"
