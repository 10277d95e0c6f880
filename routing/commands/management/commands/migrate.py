from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from routing.aliases import duplicate_of, migration_aliases
from routing.commands.management.defaults import NoDefaultDatabase
from routing.conf import routing_settings


class Command(NoDefaultDatabase, DjangoMigrateCommand):
    help = (
        "Updates database schema. Without --database, migrates every database that takes migrations "
        "(the primary, then the auth database); replicas receive schema by replication."
    )

    def get_check_kwargs(self, options):
        kwargs = super().get_check_kwargs(options)
        if options["database"] is None:
            kwargs["databases"] = migration_aliases()
        return kwargs

    def handle(self, *args, **options):
        database = options["database"]
        if database is not None:
            self._refuse_non_target(database)
            return super().handle(*args, **options)
        for alias in migration_aliases():
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database '{alias}':"))
            super().handle(*args, **{**options, "database": alias})

    def _refuse_non_target(self, alias: str) -> None:
        targets = ", ".join(migration_aliases())
        if alias in routing_settings.all_replicas:
            raise CommandError(
                f"'{alias}' is a replica: it receives schema and rows by replication and is never migrated. "
                f"Migrate {targets}."
            )
        original = duplicate_of(alias)
        if original is not None:
            raise CommandError(
                f"'{alias}' opens the same database as '{original}'; migrate '{original}' instead "
                "(migrating both would record each app's migrations twice in one table)."
            )
