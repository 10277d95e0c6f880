from django.core.management.commands.loaddata import Command as DjangoLoadDataCommand

from routing.commands.management.defaults import EveryMigratedDatabase


class Command(EveryMigratedDatabase, DjangoLoadDataCommand):
    help = (
        DjangoLoadDataCommand.help + " Without --database, loads into every database that takes migrations; "
        "each object lands in the database its app is routed to."
    )
