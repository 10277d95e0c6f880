"""The package's own tests: run with ``--ds=tests.package.settings --confcutdir=tests/package``.

confcutdir keeps the demo's tests/conftest.py (which needs api/) out.
"""
