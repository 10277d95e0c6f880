from django.core.management.commands.flush import Command as DjangoFlushCommand

from routing.commands.management.defaults import EveryMigratedDatabase


class Command(EveryMigratedDatabase, DjangoFlushCommand):
    help = DjangoFlushCommand.help + " Without --database, flushes every database that takes migrations."
