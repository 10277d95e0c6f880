"""Test-only middleware: which thread served a response, and its how-manieth it was."""

import itertools
import os
import threading

_local = threading.local()

STAMP_HEADER = "X-Test-Served-By"


class ThreadStampMiddleware:
    """Adds ``X-Test-Served-By: <pid>-<thread id>-<sequence on that thread>``.

    Innermost, and sync-only: under ASGI Django runs it in the worker thread
    that runs the sync view, which is the thread whose state could leak.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        counter = getattr(_local, "counter", None)
        if counter is None:
            counter = _local.counter = itertools.count(1)
        sequence = next(counter)
        response = self.get_response(request)
        response.headers[STAMP_HEADER] = f"{os.getpid()}-{threading.get_ident()}-{sequence}"
        return response
