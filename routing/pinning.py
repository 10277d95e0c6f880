"""Pinning a block of code to an alias: the code-level form of ``X-DB-Alias``.

::

    from routing.pinning import pin

    with pin("primary"):          # read what was just written
        ...

    @pin("replica")               # a report that may read slightly stale data
    def monthly_report(): ...

Pins nest; leaving a block restores the route that was current before it.
Writes still go to the primary whatever the pin says.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction

from routing import reasons
from routing.conf import routing_settings
from routing.policy import resolve
from routing.state import QueryLog, Route, activate, current_route

F = TypeVar("F", bound=Callable[..., Any])


class pin(AbstractContextManager):  # noqa: N801 - reads like contextlib's helpers
    """Send the reads of a block (or of every call of a function) to ``target``.

    ``target`` is ``"primary"`` (the default), ``"replica"`` (one replica chosen
    for the whole block) or a replica alias.
    """

    def __init__(self, target: str = "primary") -> None:
        allowed = routing_settings.override_values
        if target not in allowed:
            raise ValueError(f"pin() target {target!r} is not one of {', '.join(allowed)}")
        self.target = target
        self._active: list[AbstractContextManager[Route]] = []

    def __enter__(self) -> Route:
        outer = current_route()
        log = outer.log if outer is not None else QueryLog()
        activation = activate(Route(resolve(self.target), reasons.PINNED, log))
        route = activation.__enter__()
        self._active.append(activation)
        return route

    def __exit__(self, *exc_info) -> None:
        self._active.pop().__exit__(*exc_info)

    def __call__(self, func: F) -> F:
        # A fresh pin per call: one instance may decorate a function that runs
        # in many threads at once.
        target = self.target
        if iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_pinned(*args, **kwargs):
                with pin(target):
                    return await func(*args, **kwargs)

            return async_pinned  # type: ignore[return-value]

        @functools.wraps(func)
        def pinned(*args, **kwargs):
            with pin(target):
                return func(*args, **kwargs)

        return pinned  # type: ignore[return-value]
