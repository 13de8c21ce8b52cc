"""What a websocket message must look like before strawberry's handlers read it.

strawberry's handlers index a message as its protocol defines it. A frame that was JSON
but not an object, a ``subscribe`` whose payload was not an object, or a ``start`` with
no ``id`` raised inside them: graphql-transport-ws dropped the socket without a close
frame, and graphql-ws left the operation unanswered. Each protocol's own answer to a
malformed message is given instead (``api.protocols``).
"""

from typing import Any


class Unreadable(str):
    """A frame that is not JSON text, handed on (as why) for the legacy protocol to answer."""


def operation_problem(payload: Any) -> str | None:
    """What is wrong with an operation's payload (``subscribe``, ``start``), if anything."""
    if not isinstance(payload, dict):
        return "The operation's payload must be an object."
    if not isinstance(payload.get("query"), str):
        return "The operation's `query` must be a string."
    for key in ("variables", "extensions"):
        if not isinstance(payload.get(key), (dict, type(None))):
            return f"The operation's `{key}` must be an object or null."
    if not isinstance(payload.get("operationName"), (str, type(None))):
        return "The operation's `operationName` must be a string or null."
    return None


def transport_ws_problem(message: Any) -> str | None:
    """Why a graphql-transport-ws message is malformed (the socket closes 4400), if it is."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "Failed to parse message"
    if message["type"] in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return f"A {message['type']} message needs a string `id`."
    if message["type"] == "subscribe":
        return operation_problem(message.get("payload"))
    return None


#: the messages a graphql-ws client sends
LEGACY_CLIENT_MESSAGES = frozenset({"connection_init", "connection_terminate", "start", "stop"})


def legacy_ws_problem(message: Any) -> str | None:
    """Why a graphql-ws message cannot be read at all (a ``connection_error``), if so; a
    ``start`` with an ``id`` but a bad payload is that operation's error instead."""
    if isinstance(message, Unreadable):  # not JSON text at all
        return str(message)
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string `type`."
    if message["type"] == "connection_init" and not isinstance(
        message.get("payload"), (dict, type(None))
    ):
        return "The connection_init payload must be an object."
    if message["type"] in ("start", "stop") and not isinstance(message.get("id"), str):
        return f"A {message['type']} message needs a string `id`."
    return None
