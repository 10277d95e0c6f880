"""The values of the ``X-DB-Route-Reason`` response header.

They are part of the HTTP contract: clients and dashboards match on them.
"""

HEADER = "header"  # the client sent X-DB-Alias
QUERY_PARAM = "query-param"  # the client sent ?db=
UNSAFE_METHOD = "unsafe-method"  # POST, PUT, PATCH, DELETE: pinned to the primary
REPLICA_PICK = "replica-pick"  # a safe request: the router chose one replica
NO_REPLICAS = "no-replicas"  # a safe request, but no replica is configured
PINNED = "pinned"  # code pinned its queries with routing.pinning.pin()
ATOMIC = "atomic"  # reads inside transaction.atomic() on the primary
WRITE = "write"  # a safe request whose only data queries were writes
OVERRIDE_REJECTED = "override-rejected"  # the override was refused; nothing ran
CAUSAL_REPLICA = "causal-replica"  # a replica that has applied the client's last write
CAUSAL_PRIMARY = "causal-primary"  # no replica had the client's write in time
CAUSAL_INVALID = "causal-invalid"  # a forged or corrupt token, ignored
STICKY_WINDOW = "sticky-window"  # window mode: the client wrote moments ago
REPLICA_FALLBACK = "replica-fallback"  # the chosen replica failed; another alias served
NO_HEALTHY_REPLICA = "no-healthy-replica"  # every replica is down, stopped or lagging
PRIMARY_UNAVAILABLE = "primary-unavailable"  # a write while the primary is down: 503

ALL = (
    HEADER,
    QUERY_PARAM,
    UNSAFE_METHOD,
    REPLICA_PICK,
    NO_REPLICAS,
    PINNED,
    ATOMIC,
    WRITE,
    OVERRIDE_REJECTED,
    CAUSAL_REPLICA,
    CAUSAL_PRIMARY,
    CAUSAL_INVALID,
    STICKY_WINDOW,
    REPLICA_FALLBACK,
    NO_HEALTHY_REPLICA,
    PRIMARY_UNAVAILABLE,
)
