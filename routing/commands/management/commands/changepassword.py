from django.contrib.auth.management.commands.changepassword import Command as DjangoChangePasswordCommand

from routing.commands.management.auth_defaults import RoutedDatabaseDefault


class Command(RoutedDatabaseDefault, DjangoChangePasswordCommand):
    pass
