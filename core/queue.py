"""Queueing a task from a request: one attempt to reach the broker, of at most two seconds.

kombu retries a broken connection for ever unless told otherwise (`retry=False` on `apply_async` covers only the
publishing, not the connection before it), so a request that queued work while the broker was down would hang.
Every place that queues work from a request or a service goes through `publish`, which raises when the broker does
not answer in time; the caller decides what happens then (a sweep or catch-up task does the work later, or the
request does it itself).
"""

from typing import Any

BROKER_WAIT_SECONDS = 2


def publish(task: Any, *, args: list, **options: Any) -> None:
    """`task.apply_async(args=args, **options)` on a connection that was reached once, within BROKER_WAIT_SECONDS."""
    with task.app.pool.acquire(block=True, timeout=BROKER_WAIT_SECONDS) as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_WAIT_SECONDS)
        task.apply_async(args=args, connection=broker, retry=False, **options)
