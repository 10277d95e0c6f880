from django.apps import AppConfig


class RoutingCommandsConfig(AppConfig):
    name = "routing.commands"
    label = "routing_commands"
    verbose_name = "Routing-aware management commands"
