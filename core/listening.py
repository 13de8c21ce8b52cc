"""A server's port, taken before the process does anything else.

Taken late (uvicorn binds after its startup), a port that another process holds was found
only once the process had connected to PostgreSQL and RabbitMQ, or, for a worker's health
server, not at all: its probes were answered by whichever process held the port.
"""

import socket


class CannotListen(Exception):
    """The port is taken (or the address is not this host's); the message says where, in
    one line."""


def listening_socket(host: str, port: int, *, whose: str, advice: str = "") -> socket.socket:
    """A socket bound to ``host:port`` for ``whose`` server; ``advice`` ends the refusal."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as e:
        listener.close()
        told = f"{whose} cannot listen on {host}:{port} ({e.strerror or e})"
        raise CannotListen(f"{told}; {advice}" if advice else told) from None
    return listener
