"""Fakes of the services the project talks to, real enough to test against."""
