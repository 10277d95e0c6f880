"""gunicorn hooks for `make serve`: prometheus_client's multiprocess folder, clean at each start.

PROMETHEUS_MULTIPROC_DIR is set by the Makefile before gunicorn starts, so every
worker writes its metrics there and /metrics sums them.
"""

from routing.metrics import clean_multiprocess_dir, worker_exited


def on_starting(server) -> None:
    clean_multiprocess_dir()


def child_exit(server, worker) -> None:
    worker_exited(worker.pid)
