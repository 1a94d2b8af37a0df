"""Pages of the insights app, under /o/<org>/insights/."""

app_name = "insights"
urlpatterns: list = []
