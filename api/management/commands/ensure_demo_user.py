"""Create the demo user that the README and Swagger UI examples log in with.

Created on the embedded SQLite databases; on real servers only when
DEMO_PASSWORD is set; never with DEBUG off unless DEMO_PASSWORD is given.
Running it again keeps the user; an explicit DEMO_PASSWORD is applied.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from project.databases import is_embedded

DEFAULT_USERNAME = "demo"
DEFAULT_PASSWORD = "demo"  # noqa: S105 - the documented demo credential


def skip_reason(*, embedded: bool, debug: bool, demo_user: str, demo_password: str) -> str | None:
    """Why no demo user may be created here, or ``None`` when it may."""
    if not embedded and not demo_password:
        # Never the well-known default password on real servers.
        return "set DEMO_PASSWORD (and DEMO_USER) to create one on these databases"
    if not debug and not demo_password:
        return "DEBUG is off and DEMO_PASSWORD is not set"
    return None


class Command(BaseCommand):
    help = "Create the demo user (demo/demo unless DEMO_USER/DEMO_PASSWORD say otherwise)."

    def handle(self, *args, **options):
        reason = skip_reason(
            embedded=is_embedded(settings.DATABASES),
            debug=settings.DEBUG,
            demo_user=settings.DEMO_USER,
            demo_password=settings.DEMO_PASSWORD,
        )
        if reason:
            self.stdout.write(f"Demo user skipped: {reason}.")
            return
        username = settings.DEMO_USER or DEFAULT_USERNAME
        password = settings.DEMO_PASSWORD or DEFAULT_PASSWORD
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None:
            users.create_user(username=username, password=password)
            self.stdout.write(self.style.SUCCESS(f"Demo user created. Log in with {username} / {password}"))
        elif settings.DEMO_PASSWORD and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(self.style.SUCCESS(f"Demo user's password updated. Log in with {username} / {password}"))
        else:
            self.stdout.write(f"Demo user {username} exists; its password is unchanged (initially {password}).")
