from django.core.management.commands.loaddata import Command as DjangoLoadDataCommand

from routing.aliases import migration_aliases


class Command(DjangoLoadDataCommand):
    help = (
        DjangoLoadDataCommand.help + " Without --database, loads into every database that takes migrations; "
        "each object lands in the database its app is routed to."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def handle(self, *fixture_labels, **options):
        if options["database"] is not None:
            return super().handle(*fixture_labels, **options)
        for alias in migration_aliases():
            super().handle(*fixture_labels, **{**options, "database": alias})
        return None
