"""Settings for servers started by the live tests: the project plus test-only views.

The views under /api/test/ (one raises after pinning) and a middleware that
stamps every response with the worker thread that served it, so a test can
find "the next request on the same thread".
"""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "tests.urls"
# Innermost: under ASGI it then runs in the thread that runs the (sync) view.
MIDDLEWARE = [*MIDDLEWARE, "tests.live.stamp.ThreadStampMiddleware"]  # noqa: F405
# Thousands of Basic-authenticated writes: the real hasher would dominate the run.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
