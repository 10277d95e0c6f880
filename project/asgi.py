import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

django_application = get_asgi_application()

from project.middleware import BodyLimitASGIMiddleware  # noqa: E402 - needs the settings configured above

# Django reads an ASGI body whole before any middleware runs: this wrapper
# keeps an oversized one from filling memory and disk first.
application = BodyLimitASGIMiddleware(django_application)
