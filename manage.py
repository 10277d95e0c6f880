#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # Configuration errors name their cause and fix; a traceback would bury it.
        sys.exit(f"Configuration error: {error}")
    except (OperationalError, InterfaceError):
        # A database that cannot be reached: the doctor's cause and fix for it,
        # not forty lines of driver stack (--traceback still shows them).
        if "--traceback" in sys.argv or (explanation := connection_failure(sys.argv)) is None:
            raise
        sys.exit(explanation)


def connection_failure(argv: list[str]) -> str | None:
    from django.conf import settings

    from routing import explain_connection_failure

    command = argv[1] if len(argv) > 1 else "manage.py"
    return explain_connection_failure(settings.DATABASES, command)


if __name__ == "__main__":
    main()
