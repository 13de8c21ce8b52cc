"""Message transport: job messages to workers, job events to API processes."""

from broker.base import Broker


def from_url(url: str, *, prefix: str = "") -> Broker:
    """The broker for ``amqp://…`` (RabbitMQ) or ``memory://`` (one process)."""
    if url.startswith(("amqp://", "amqps://")):
        from broker.rabbitmq import RabbitBroker

        return RabbitBroker(url, prefix=prefix)
    if url.startswith("memory://"):
        from broker.memory import MemoryBroker

        return MemoryBroker()
    raise ValueError(f"unsupported broker URL: {url.split(':', 1)[0]}://")
