"""Message transport: job messages to workers, job events to API processes."""

from broker.base import Broker
from core.settings import Settings


def from_url(
    url: str,
    *,
    prefix: str = "",
    publish_timeout: float = 5.0,
    quorum: bool = False,
    event_backlog_bytes: int = Settings.event_backlog_bytes,
    connect_within: float = 0.0,
) -> Broker:
    """The broker for ``amqp://…`` (RabbitMQ) or ``memory://`` (one process)."""
    if url.startswith(("amqp://", "amqps://")):
        from broker.rabbitmq import RabbitBroker

        return RabbitBroker(
            url,
            prefix=prefix,
            publish_timeout=publish_timeout,
            quorum=quorum,
            event_backlog_bytes=event_backlog_bytes,
            connect_within=connect_within,
        )
    if url.startswith("memory://"):
        from broker.memory import MemoryBroker

        return MemoryBroker()
    raise ValueError(f"unsupported broker URL: {url.split(':', 1)[0]}://")


def broker_from_settings(settings: Settings, *, connect_within: float = 0.0) -> Broker:
    """The settings' broker; ``connect_within``: how long its ``connect`` keeps trying
    while RabbitMQ is not reachable (the API and workers wait, one-off commands do not)."""
    return from_url(
        settings.required_amqp_url(),
        prefix=settings.amqp_prefix,
        publish_timeout=settings.publish_timeout_seconds,
        quorum=settings.quorum_queues,
        event_backlog_bytes=settings.event_backlog_bytes,
        connect_within=connect_within,
    )
