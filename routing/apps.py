from django.apps import AppConfig
from django.db.backends.signals import connection_created


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Database routing"

    def ready(self) -> None:
        from routing import checks, setting_checks  # noqa: F401 - registers the system checks
        from routing.recorder import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="routing.recorder")
