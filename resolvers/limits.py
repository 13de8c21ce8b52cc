"""Abuse limits that remember earlier requests: sign-in failures, sign-ups, job creation,
sockets.

One ``Limits`` per app, made by the factory and handed to every resolver in the
context. Its counts live in this process's memory (see ``core.ratelimit``):
with N API processes each one counts on its own, so a client spreading its
requests may get up to N times a limit. The active-jobs cap is counted in the
database and holds across processes.
"""

import asyncio
import contextlib
import ipaddress
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from core.errors import RateLimited
from core.ratelimit import SlidingWindow
from core.settings import Settings
from resolvers.connections import Connections

_TOO_MANY_FAILURES = "Too many failed attempts; try again later."


class Unsettled:
    """Users' new jobs whose slot of the minute is held while their INSERT decides whether
    they keep it."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}

    def any_of(self, user_id: str) -> bool:
        return user_id in self._held

    async def one_settled(self, user_id: str) -> None:
        """Wait until one of the user's held slots is kept or given back."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(user_id, []).append(waiter)
        await waiter

    @contextlib.contextmanager
    def holding(self, user_id: str) -> Iterator[None]:
        self._held[user_id] = self._held.get(user_id, 0) + 1
        try:
            yield
        finally:
            if self._held[user_id] > 1:
                self._held[user_id] -= 1
            else:
                del self._held[user_id]
            for waiter in self._waiters.pop(user_id, ()):
                if not waiter.done():
                    waiter.set_result(None)


class SignInAttempt:
    """Whether a sign-in attempt counts as a failure: it does unless it passed."""

    def __init__(self) -> None:
        self.counts = True

    def passed(self) -> None:
        self.counts = False


@dataclass(frozen=True)
class Limits:
    failures_by_email_and_address: SlidingWindow
    failures_by_email: SlidingWindow
    failures_by_address: SlidingWindow
    sign_ups_by_address: SlidingWindow
    jobs_by_user: SlidingWindow
    connections: Connections
    unsettled: Unsettled = field(default_factory=Unsettled)
    #: sign-in attempts being checked now, per email from an address, per email, per address
    checking_by_email_and_address: Counter[str] = field(default_factory=Counter)
    checking_by_email: Counter[str] = field(default_factory=Counter)
    checking_by_address: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        window = settings.login_failure_window_seconds
        return cls(
            failures_by_email_and_address=SlidingWindow(
                settings.login_failures_per_email_and_address, window
            ),
            failures_by_email=SlidingWindow(settings.login_failures_per_email, window),
            failures_by_address=SlidingWindow(settings.login_failures_per_address, window),
            sign_ups_by_address=SlidingWindow(settings.sign_ups_per_address_per_hour, 3600.0),
            jobs_by_user=SlidingWindow(settings.jobs_per_minute, 60.0),
            connections=Connections(settings.max_connections_per_user),
        )

    @contextlib.contextmanager
    def sign_in_attempt(self, email: str | None, address: str) -> Iterator["SignInAttempt"]:
        """A password check (or an email-taken probe) under the sign-in throttle.

        Refused (RATE_LIMITED) while the address, the email from this address, or the
        email from everywhere is throttled. The email's own limit is per address, so that
        anyone who knows an email cannot lock its owner out with a few wrong guesses; the
        email's wider limit bounds guesses spread over many addresses. An attempt being
        checked counts against the limits as well as the failures do: counted only once
        they had failed, 60 guesses sent at once were all checked. One that does not pass
        counts as a failure on the way out; one the caller marks ``passed``, or that the
        service's own error cuts short (the database away), does not. The caller raises
        its refusal after the block.
        """
        checks = [(self.failures_by_address, self.checking_by_address, address)]
        if email:
            checks.append((self.failures_by_email, self.checking_by_email, email))
            checks.append(
                (
                    self.failures_by_email_and_address,
                    self.checking_by_email_and_address,
                    _email_from(email, address),
                )
            )
        wait = max(_sign_in_wait(failures, checking, key) for failures, checking, key in checks)
        if wait:
            raise RateLimited(wait, _TOO_MANY_FAILURES)
        for _, checking, key in checks:
            checking[key] += 1
        attempt = SignInAttempt()
        try:
            yield attempt
        except BaseException:
            attempt.counts = False
            raise
        finally:
            for failures, checking, key in checks:
                checking[key] -= 1
                if not checking[key]:
                    del checking[key]
                if attempt.counts:
                    failures.hit(key)

    @contextlib.contextmanager
    def sign_up(self, address: str) -> Iterator["SignInAttempt"]:
        """A new account's place among the address's sign-ups of the hour, held while it
        is made (so sign-ups sent at once get no more places than sent one by one) and
        given back unless the caller marks it ``passed``. Without it, one address made
        94 accounts in 21 s, each an Argon2 hash in a thread other sign-ins wait for."""
        wait = self.sign_ups_by_address.acquire(address)
        if wait:
            limit = self.sign_ups_by_address.limit
            account = "account" if limit == 1 else "accounts"
            raise RateLimited(
                wait, f"At most {limit} new {account} an hour from one address; try again later."
            )
        attempt = SignInAttempt()
        try:
            yield attempt
        finally:
            if attempt.counts:
                self.sign_ups_by_address.give_back(address)

    def sign_in_succeeded(self, email: str, address: str) -> None:
        # The address keeps its count: one good password must not wash a guessing run clean.
        self.failures_by_email.reset(email)
        self.failures_by_email_and_address.reset(_email_from(email, address))

    def take_job_slot(self, user_id: str, per_minute: int) -> None:
        wait = self.jobs_by_user.acquire(user_id)
        if wait:
            raise _over_minute_limit(wait, per_minute)

    @contextlib.asynccontextmanager
    async def new_job_slot(
        self, user_id: str, per_minute: int
    ) -> AsyncIterator[Callable[[], None]]:
        """A slot of the user's minute held while a new job is placed; the callable gives it
        back (no job was placed). A request the minute would refuse first waits for the
        user's other placements to settle: one the active-jobs limit refuses gives its slot
        back, and requests beside it were told "a minute" for slots never used. Only that
        case waits: requests in turn, always, cost B1 4-6% of its CPU
        (``bench/changes.md``)."""
        while wait := self.jobs_by_user.acquire(user_id):
            if not self.unsettled.any_of(user_id):
                raise _over_minute_limit(wait, per_minute)
            await self.unsettled.one_settled(user_id)
        with self.unsettled.holding(user_id):
            yield lambda: self.give_back_job_slot(user_id)

    def give_back_job_slot(self, user_id: str) -> None:
        """A slot taken for a job that was then refused does not count."""
        self.jobs_by_user.give_back(user_id)


def _email_from(email: str, address: str) -> str:
    """The key of an email's sign-ins from one address (no email holds a line break)."""
    return f"{email}\n{address}"


def _sign_in_wait(failures: SlidingWindow, checking: Counter[str], key: str) -> int:
    """Seconds until one more sign-in attempt is allowed for ``key``: the failures'
    window, or a second while attempts being checked hold the last places (each frees
    its place as soon as it is decided)."""
    wait = failures.retry_after(key)
    if not wait and 0 < failures.limit <= failures.count(key) + checking[key]:
        return 1
    return wait


def _over_minute_limit(wait: int, per_minute: int) -> RateLimited:
    return RateLimited(wait, f"At most {letters(per_minute)} a minute; try again shortly.")


def letters(count: int) -> str:
    """A limit as its refusal tells it: "1 letter", "5 letters"."""
    return "1 letter" if count == 1 else f"{count} letters"


#: an IPv6 client is counted by its network: one subscriber is given a /64 (or more), so
#: by its whole address one client would be 2^64 clients to every per-address limit
IPV6_CLIENT_PREFIX = 64


def client_address(connection: HTTPConnection) -> str:
    """The client's address as uvicorn saw it (from X-Forwarded-For only for trusted
    proxies), an IPv6 one as its /64."""
    if not connection.client:
        return "unknown"
    host = connection.client.host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a test client's name, a socket path)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return host
