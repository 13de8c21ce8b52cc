"""Door 4, passwords: length, normalised emails, one refusal for both cases, throttling."""

import asyncio
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from core import auth, hashing
from core.settings import Settings
from db.connection import Db
from tests.client import Api, Json
from tests.conftest import StartApi
from tests.processes import api_process, environment
from tests.security.probes import (
    LOGIN,
    REGISTER,
    assert_serves_an_honest_client,
    code,
    from_address,
    post,
    rows,
)

BAD_SIGN_UPS = [
    ("short password", "ok@example.com", "seven77", "password"),
    ("no at sign", "not-an-email", "correct horse 1", "email"),
    ("no domain dot", "a@b", "correct horse 1", "email"),
    ("spaces inside", "a b@example.com", "correct horse 1", "email"),
    ("NUL", "a\x00b@example.com", "correct horse 1", "email"),
    ("too long", "a" * 320 + "@example.com", "correct horse 1", "email"),
    ("two dots in a row", "a..b@example.com", "correct horse 1", "email"),
    ("dot before the at", "a.@example.com", "correct horse 1", "email"),
    ("trailing dot", "a@example.com.", "correct horse 1", "email"),
    ("markup", "<script>x@example.com", "correct horse 1", "email"),
    ("IP address", "a@[127.0.0.1]", "correct horse 1", "email"),
    ("underscore in the domain", "a@b_c.com", "correct horse 1", "email"),
]


@pytest.mark.parametrize(("case", "email", "password", "field"), BAD_SIGN_UPS)
async def test_weak_passwords_and_bad_emails_write_nothing(
    api: Api, db: Db, case: str, email: str, password: str, field: str
) -> None:
    result = await post(api, REGISTER, {"e": email, "p": password})
    assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert await rows(db, "users") == 0
    await assert_serves_an_honest_client(api)


async def test_emails_are_normalised_so_one_address_is_one_account(api: Api, db: Db) -> None:
    name = uuid.uuid4().hex[:8]
    await api.register(f"  {name.upper()}@Example.COM\n", "correct horse 1")
    again = await post(api, REGISTER, {"e": f"{name}@example.com", "p": "another password"})
    assert code(again) == "CONFLICT"
    token = await post(api, LOGIN, {"e": f" {name}@EXAMPLE.com", "p": "correct horse 1"})
    assert token["data"]["login"]["token"]
    assert await rows(db, "users") == 1


async def test_one_address_in_two_unicode_forms_is_one_account(api: Api, db: Db) -> None:
    composed, decomposed = "ren\u00e9@example.com", "rene\u0301@example.com"
    await api.register(composed, "correct horse 1")

    again = await post(api, REGISTER, {"e": decomposed, "p": "another password"})
    signed_in = await post(
        api,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { email } } }",
        {"e": decomposed, "p": "correct horse 1"},
    )

    assert code(again) == "CONFLICT"
    assert signed_in["data"]["login"]["user"]["email"] == composed
    assert await rows(db, "users") == 1


async def _login_seconds(api: Api, email: str, tries: int = 7) -> float:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        result = await post(api, LOGIN, {"e": email, "p": "wrong password"})
        times.append(time.perf_counter() - started)
        assert result["errors"][0]["message"] == "Invalid email or password."
        assert code(result) == "UNAUTHENTICATED"
    return statistics.median(times)


async def test_a_wrong_password_and_an_unknown_email_look_and_take_alike(
    start_api: StartApi,
) -> None:
    api = await start_api(
        login_failures_per_email_and_address=0,
        login_failures_per_email=0,
        login_failures_per_address=0,
    )
    email = f"known-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(email, "correct horse 1")
    await _login_seconds(api, "warm-up@example.com", tries=2)

    known = await _login_seconds(api, email)
    unknown = await _login_seconds(api, f"unknown-{uuid.uuid4().hex[:8]}@example.com")

    # Both verify an Argon2 hash; without the dummy hash the unknown email answers ~100x faster.
    assert 1 / 3 < known / unknown < 3, (known, unknown)
    await assert_serves_an_honest_client(api)


async def test_repeated_failures_for_one_email_are_rate_limited(start_api: StartApi) -> None:
    api = await start_api(login_failures_per_email=3, login_failures_per_address=100)
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(victim, "correct horse 1")

    for attempt in range(3):  # spread over addresses: the per-email count still adds up
        guess = {"e": victim, "p": f"guess {attempt}"}
        refused = await post(api, LOGIN, guess, headers=from_address(f"198.51.100.{attempt}"))
        assert code(refused) == "UNAUTHENTICATED"
    limited = await post(
        api, LOGIN, {"e": victim, "p": "correct horse 1"}, headers=from_address("198.51.100.9")
    )

    assert code(limited) == "RATE_LIMITED" and limited["data"] is None
    assert 0 < limited["errors"][0]["extensions"]["retryAfter"] <= 900
    await assert_serves_an_honest_client(api)


async def test_a_stranger_guessing_an_email_throttles_only_their_own_address(
    start_api: StartApi,
) -> None:
    # The email's first limit was for all addresses: five wrong guesses from anywhere kept
    # its owner out, right password and all, for as long as someone kept guessing.
    api = await start_api()
    owner = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(owner, "correct horse 1")
    stranger = from_address("203.0.113.50")
    for attempt in range(5):
        guess = {"e": owner, "p": f"guess {attempt}"}
        assert code(await post(api, LOGIN, guess, headers=stranger)) == "UNAUTHENTICATED"

    right = {"e": owner, "p": "correct horse 1"}
    throttled = await post(api, LOGIN, right, headers=stranger)
    at_home = await post(api, LOGIN, right, headers=from_address("198.51.100.20"))

    assert code(throttled) == "RATE_LIMITED", "the guesser's address is stopped"
    assert at_home["data"]["login"]["token"], at_home


async def test_repeated_failures_from_one_address_are_rate_limited(start_api: StartApi) -> None:
    api = await start_api(login_failures_per_email=100, login_failures_per_address=3)
    attacker = from_address("203.0.113.66")
    for _ in range(3):
        email = f"spray-{uuid.uuid4().hex[:8]}@example.com"
        refused = await post(api, LOGIN, {"e": email, "p": "Summer2026!"}, headers=attacker)
        assert code(refused) == "UNAUTHENTICATED"

    for query, variables in (
        (LOGIN, {"e": "another@example.com", "p": "Summer2026!"}),
        (REGISTER, {"e": f"probe-{uuid.uuid4().hex[:8]}@example.com", "p": "Summer2026!"}),
    ):
        limited = await post(api, query, variables, headers=attacker)
        assert code(limited) == "RATE_LIMITED" and limited["data"] is None
        assert limited["errors"][0]["extensions"]["retryAfter"] > 0
    # Another address is served as usual.
    await assert_serves_an_honest_client(api)


def _codes(results: list[Json]) -> Counter[str]:
    return Counter("OK" if result.get("data") else code(result) for result in results)


async def test_guesses_sent_at_once_get_no_more_checks_than_the_limit(
    start_api: StartApi,
) -> None:
    # Counted only once they had failed, guesses sent together were all checked.
    api = await start_api(login_failures_per_email=3, login_failures_per_address=100)
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(victim, "correct horse 1")
    guesses = [{"e": victim, "p": f"guess {n}"} for n in range(29)]
    guesses.insert(14, {"e": victim, "p": "correct horse 1"})

    results = await asyncio.gather(*(post(api, LOGIN, guess) for guess in guesses))
    counted = _codes(results)
    afterwards = await post(api, LOGIN, {"e": victim, "p": "correct horse 1"})

    assert counted["RATE_LIMITED"] >= 27, counted
    assert counted["UNAUTHENTICATED"] + counted["OK"] <= 3, counted
    assert counted["UNAUTHENTICATED"] == 3 or code(afterwards) != "RATE_LIMITED"
    refusals = [r for r in results if r.get("errors") and code(r) == "RATE_LIMITED"]
    assert all(r["errors"][0]["extensions"]["retryAfter"] >= 1 for r in refusals)


async def test_email_probes_sent_at_once_get_no_more_answers_than_the_limit(
    start_api: StartApi,
) -> None:
    api = await start_api(login_failures_per_email=100, login_failures_per_address=3)
    taken = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(taken, "correct horse 1")
    prober = from_address("203.0.113.9")

    results = await asyncio.gather(
        *(post(api, REGISTER, {"e": taken, "p": "Summer2026!"}, headers=prober) for _ in range(20))
    )

    counted = _codes(results)
    assert counted["CONFLICT"] <= 3 and counted["RATE_LIMITED"] >= 17, counted


async def test_sign_ups_that_succeed_do_not_count_against_their_address(
    start_api: StartApi,
) -> None:
    api = await start_api(login_failures_per_address=3)
    office = from_address("198.51.100.77")

    for _ in range(3):  # three rounds of three at once: nine accounts from one address
        results = await asyncio.gather(
            *(
                post(
                    api,
                    REGISTER,
                    {"e": f"u-{uuid.uuid4().hex[:8]}@example.com", "p": "correct horse 1"},
                    headers=office,
                )
                for _ in range(3)
            )
        )
        assert _codes(results) == {"OK": 3}


async def test_sign_ups_from_one_address_are_limited_per_hour(start_api: StartApi) -> None:
    # One address made 94 accounts in 21 s: account spam, and Argon2 hashes every other
    # sign-in waited behind. Sent at once, sign-ups get no more places than one by one.
    api = await start_api(sign_ups_per_address_per_hour=3)
    office = from_address("198.51.100.78")

    def sign_up() -> Json:
        return {"e": f"u-{uuid.uuid4().hex[:8]}@example.com", "p": "correct horse 1"}

    results = await asyncio.gather(
        *(post(api, REGISTER, sign_up(), headers=office) for _ in range(6))
    )
    taken = await post(api, REGISTER, {"e": "x@example.com", "p": "correct horse 1"})

    assert _codes(results) == {"OK": 3, "RATE_LIMITED": 3}, results
    refused = next(r for r in results if "errors" in r)["errors"][0]
    assert refused["message"] == "At most 3 new accounts an hour from one address; try again later."
    assert 3000 < refused["extensions"]["retryAfter"] <= 3600
    assert taken["data"]["register"]["token"], "another address signs up as before"


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
async def test_an_ipv6_network_counts_as_one_address(start_api: StartApi) -> None:
    # An outside tester signed up 3 accounts from 2001:db8:1:1::1, was refused, and went
    # on from ::2 of the same /64: every host of a subscriber's network was a new client.
    api = await start_api(sign_ups_per_address_per_hour=3)

    def sign_up_from(address: str) -> Awaitable[Json]:
        email = f"u-{uuid.uuid4().hex[:8]}@example.com"
        return post(
            api, REGISTER, {"e": email, "p": "correct horse 1"}, headers=from_address(address)
        )

    one_network = [await sign_up_from(f"2001:db8:1:1::{host:x}") for host in range(1, 6)]
    next_network = await sign_up_from("2001:db8:1:2::1")
    mapped = [await sign_up_from(a) for a in ("192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7")]

    assert [code_or_ok(r) for r in one_network] == ["OK"] * 3 + ["RATE_LIMITED"] * 2
    assert code_or_ok(next_network) == "OK"
    assert [code_or_ok(r) for r in mapped] == ["OK", "OK", "OK"]
    assert code_or_ok(await sign_up_from("::ffff:192.0.2.7")) == "RATE_LIMITED"


def code_or_ok(result: Json) -> str:
    return code(result) if result.get("errors") else "OK"


async def test_passwords_are_hashed_off_the_event_loop(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # argon2 takes 50-200 ms of CPU by design: on the loop it stopped every socket of the
    # process for that long, at every sign-in.
    threads: list[int] = []

    def recording(real: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object) -> object:
            threads.append(threading.get_ident())
            return real(*args)

        return call

    monkeypatch.setattr(hashing, "hash_password", recording(auth.hash_password))
    monkeypatch.setattr(hashing, "verify_password", recording(auth.verify_password))
    email = f"threads-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(email, "correct horse 1")
    assert (await post(api, LOGIN, {"e": email, "p": "correct horse 1"}))["data"]["login"]

    assert len(threads) == 2
    assert threading.get_ident() not in threads


async def test_the_throttle_lifts_when_its_window_has_passed(start_api: StartApi) -> None:
    api = await start_api(login_failures_per_email=1, login_failure_window_seconds=1.0)
    email = f"patient-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(email, "correct horse 1")
    assert code(await post(api, LOGIN, {"e": email, "p": "wrong password"})) == "UNAUTHENTICATED"
    limited = await post(api, LOGIN, {"e": email, "p": "correct horse 1"})
    assert code(limited) == "RATE_LIMITED"

    await asyncio.sleep(limited["errors"][0]["extensions"]["retryAfter"])

    allowed = await post(api, LOGIN, {"e": email, "p": "correct horse 1"})
    assert allowed["data"]["login"]["token"]


@pytest.mark.parametrize("stack", ["production"], indirect=True)
@pytest.mark.parametrize(
    ("trusted_proxies", "answers"),
    [
        # the default: a proxy on this host names the client
        ("127.0.0.1", ["UNAUTHENTICATED"] * 3),
        # a load balancer elsewhere: this host's header is the client's own claim
        ("192.0.2.1", ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]),
    ],
)
async def test_x_forwarded_for_names_the_client_only_from_a_trusted_proxy(
    settings: Settings, trusted_proxies: str, answers: list[str]
) -> None:
    env = environment(
        settings,
        CAREEROPS_FORWARDED_ALLOW_IPS=trusted_proxies,
        CAREEROPS_LOGIN_FAILURES_PER_ADDRESS="2",
        CAREEROPS_LOGIN_FAILURES_PER_EMAIL="100",
    )
    async with api_process(env) as process:
        api = Api(process.url)
        seen = []
        for claimed in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
            guess = {"e": f"spray-{uuid.uuid4().hex[:8]}@example.com", "p": "Summer2026!"}
            seen.append(code(await post(api, LOGIN, guess, headers=from_address(claimed))))
        await api.close()

    assert seen == answers
