from django.contrib.auth.management.commands.createsuperuser import Command as DjangoCreateSuperuserCommand

from routing.commands.management.auth_defaults import RoutedDatabaseDefault


class Command(RoutedDatabaseDefault, DjangoCreateSuperuserCommand):
    pass
