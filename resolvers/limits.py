"""Abuse limits that remember earlier requests: sign-in failures, job creation, sockets.

One ``Limits`` per app, made by the factory and handed to every resolver in the
context. Its counts live in this process's memory (see ``core.ratelimit``):
with N API processes each one counts on its own, so a client spreading its
requests may get up to N times a limit. The active-jobs cap is counted in the
database and holds across processes.
"""

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from core.errors import RateLimited
from core.ratelimit import SlidingWindow
from core.settings import Settings
from resolvers.connections import Connections

_TOO_MANY_FAILURES = "Too many failed attempts; try again later."


@dataclass(frozen=True)
class Limits:
    failures_by_email: SlidingWindow
    failures_by_address: SlidingWindow
    jobs_by_user: SlidingWindow
    connections: Connections

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        window = settings.login_failure_window_seconds
        return cls(
            failures_by_email=SlidingWindow(settings.login_failures_per_email, window),
            failures_by_address=SlidingWindow(settings.login_failures_per_address, window),
            jobs_by_user=SlidingWindow(settings.jobs_per_minute, 60.0),
            connections=Connections(settings.max_connections_per_user),
        )

    def check_sign_in(self, email: str | None, address: str) -> None:
        """Refuse before any password is checked while the email or the address is throttled."""
        wait = self.failures_by_address.retry_after(address)
        if email:
            wait = max(wait, self.failures_by_email.retry_after(email))
        if wait:
            raise RateLimited(wait, _TOO_MANY_FAILURES)

    def sign_in_failed(self, email: str | None, address: str) -> None:
        self.failures_by_address.hit(address)
        if email:
            self.failures_by_email.hit(email)

    def sign_in_succeeded(self, email: str) -> None:
        # The address keeps its count: one good password must not wash a guessing run clean.
        self.failures_by_email.reset(email)

    def take_job_slot(self, user_id: str, per_minute: int) -> None:
        wait = self.jobs_by_user.acquire(user_id)
        if wait:
            raise RateLimited(wait, f"At most {letters(per_minute)} a minute; try again shortly.")

    def give_back_job_slot(self, user_id: str) -> None:
        """A slot taken for a job that was then refused does not count."""
        self.jobs_by_user.give_back(user_id)


def letters(count: int) -> str:
    """A limit as its refusal tells it: "1 letter", "5 letters"."""
    return "1 letter" if count == 1 else f"{count} letters"


def client_address(connection: HTTPConnection) -> str:
    """The client's address as uvicorn saw it (from X-Forwarded-For only for trusted proxies)."""
    return connection.client.host if connection.client else "unknown"
