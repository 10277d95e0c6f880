"""Routing-aware variants of six Django commands, for projects that ask for them.

Add ``"routing.commands"`` to ``INSTALLED_APPS`` above ``django.contrib.auth``
and, with no ``--database``:

- ``migrate`` migrates the primary, then ``ROUTING_AUTH_DB``, and refuses a
  replica or ``default`` (another name for the primary);
- ``flush`` and ``loaddata`` work on the primary and the auth database in turn;
- ``dumpdata`` reads the database the named apps live in;
- ``createsuperuser`` and ``changepassword`` use the alias the routers choose
  for the user model.

Without this app, Django's own commands keep their meaning: they act on
``default`` (or ``--database``) only.
"""
