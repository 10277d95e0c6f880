"""What the routed management commands do without ``--database``.

Django's data commands default to ``--database default``; with data and auth
apps on aliases of their own, "default" is the wrong answer for most of them.
These mixins make the option default to ``None`` so a command can tell "not
given" from "default" and choose for itself.
"""

from routing.aliases import migration_aliases


class NoDefaultDatabase:
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)


class EveryMigratedDatabase(NoDefaultDatabase):
    """Without ``--database``: run once on every database that takes migrations."""

    def handle(self, *args, **options):
        if options["database"] is not None:
            return super().handle(*args, **options)
        for alias in migration_aliases():
            super().handle(*args, **{**options, "database": alias})
        return None
