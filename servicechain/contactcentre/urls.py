"""Pages of the contactcentre app, under /o/<org>/contactcentre/."""

app_name = "contactcentre"
urlpatterns: list = []
