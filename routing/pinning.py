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
from contextvars import ContextVar
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction

from routing import reasons
from routing.conf import ANY_REPLICA, routing_settings
from routing.policy import named_alias
from routing.resolution import pick_replica
from routing.state import QueryLog, Route, activate, current_route

F = TypeVar("F", bound=Callable[..., Any])


class pin(AbstractContextManager):  # noqa: N801 - reads like contextlib's helpers
    """Send the reads of a block (or of every call of a function) to ``target``.

    ``target`` is ``"primary"`` (the default), ``"replica"`` (one replica for
    the whole block: the request's own replica when it already has one) or a
    replica alias. One instance may be shared by threads and tasks: what it
    has entered is kept per context, not on the instance.
    """

    def __init__(self, target: str = "primary") -> None:
        allowed = routing_settings.override_values
        if target not in allowed:
            raise ValueError(f"pin() target {target!r} is not one of {', '.join(allowed)}")
        self.target = target
        self._entered: ContextVar[tuple[AbstractContextManager[Route], ...]] = ContextVar(
            f"routing_pin_{id(self)}", default=()
        )

    def __enter__(self) -> Route:
        outer = current_route()
        log = outer.log if outer is not None else QueryLog()
        activation = activate(Route(self._alias(outer), reasons.PINNED, log))
        route = activation.__enter__()
        self._entered.set((*self._entered.get(), activation))
        return route

    def __exit__(self, *exc_info) -> None:
        *outer, activation = self._entered.get()
        self._entered.set(tuple(outer))
        activation.__exit__(*exc_info)

    def _alias(self, outer: Route | None) -> str:
        # "Choose one replica per request": keep the one already chosen.
        if self.target != ANY_REPLICA:
            return named_alias(self.target)
        if outer is not None and outer.alias in routing_settings.replicas:
            return outer.alias
        return pick_replica()[0]

    def __call__(self, func: F) -> F:
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
