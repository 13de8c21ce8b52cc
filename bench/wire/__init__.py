"""Minimal, cheap HTTP/1.1 and websocket clients: the load generator must not be the limit."""
