"""The HTTP/websocket process: app factory, GraphQL mount, health, CLI."""
