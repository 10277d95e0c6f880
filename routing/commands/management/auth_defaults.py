"""Make the auth commands write where the routers send the user model.

Django's ``createsuperuser`` and ``changepassword`` default to ``--database
default``; with the auth apps on their own alias that is the wrong database.
"""

from django.contrib.auth import get_user_model
from django.db import router

from routing.commands.management.defaults import NoDefaultDatabase


class RoutedDatabaseDefault(NoDefaultDatabase):
    def handle(self, *args, **options):
        if options.get("database") is None:
            options["database"] = router.db_for_write(get_user_model())
        return super().handle(*args, **options)
