"""The token a websocket presents in its connection_init payload."""

from core.auth import bearer_token


def token_from_connection_params(params: dict[str, object] | None) -> str | None:
    """``{"Authorization": "Bearer <t>"}`` or ``{"authToken": "<t>"}`` from connection_init."""
    if not params:
        return None
    header = params.get("Authorization") or params.get("authorization")
    if isinstance(header, str):
        return bearer_token(header)
    token = params.get("authToken")
    return token if isinstance(token, str) and token else None
