"""Persistence: the connection, migrations and the two repositories (users, jobs)."""
