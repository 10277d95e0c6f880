from django.core.management.commands.flush import Command as DjangoFlushCommand

from routing.aliases import migration_aliases


class Command(DjangoFlushCommand):
    help = DjangoFlushCommand.help + " Without --database, flushes every database that takes migrations."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def handle(self, **options):
        if options["database"] is not None:
            return super().handle(**options)
        for alias in migration_aliases():
            super().handle(**{**options, "database": alias})
        return None
