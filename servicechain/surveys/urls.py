"""Pages of the surveys app, under /o/<org>/surveys/."""

app_name = "surveys"
urlpatterns: list = []
