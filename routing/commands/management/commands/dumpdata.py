from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands.dumpdata import Command as DjangoDumpDataCommand
from django.db import router

from routing.aliases import migration_aliases
from routing.commands.management.defaults import NoDefaultDatabase


class Command(NoDefaultDatabase, DjangoDumpDataCommand):
    help = (
        DjangoDumpDataCommand.help + " Without --database, reads the database the named apps are routed to "
        "(they must all live in one)."
    )

    def handle(self, *app_labels, **options):
        if options["database"] is None:
            options["database"] = self._database_for(app_labels)
        return super().handle(*app_labels, **options)

    def _database_for(self, app_labels: tuple[str, ...]) -> str:
        labels = {label.split(".")[0] for label in app_labels} or {
            config.label for config in apps.get_app_configs() if any(config.get_models())
        }
        homes = {alias for alias in migration_aliases() for label in labels if router.allow_migrate(alias, label)}
        if len(homes) == 1:
            return homes.pop()
        per_alias = {
            alias: sorted(label for label in labels if router.allow_migrate(alias, label))
            for alias in migration_aliases()
        }
        listing = "; ".join(f"--database {alias} for {', '.join(found)}" for alias, found in per_alias.items() if found)
        raise CommandError(f"These apps live in more than one database. Dump one at a time: {listing}.")
