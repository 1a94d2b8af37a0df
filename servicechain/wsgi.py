import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicechain.settings")
application = get_wsgi_application()

# Survey submissions (POST /api/respond/<token>) are recorded in front of Django's request
# cycle; every other request, and any submission not answered 201, goes to Django.
from servicechain.surveys.shortcut import SubmitShortcut  # noqa: E402

application = SubmitShortcut(application)

# Import every view (and pandas, altair, …) now: gunicorn preloads this module in its master,
# so workers fork warm instead of making their first visitor wait seconds.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

# Move everything loaded so far (Django, pandas, every view) out of the garbage collector's
# reach: workers fork with it shared, and collections no longer pause a request to walk
# hundreds of thousands of long-lived objects.
import gc  # noqa: E402

gc.freeze()
