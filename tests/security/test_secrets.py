"""Door 1, the signing key: api and worker refuse a missing, short or well-known secret."""

import json
import re
import secrets
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.datastructures import Secret

from core.settings import DEV_JWT_SECRET, Settings, SettingsError, setting_variables
from tests.processes import ROOT, run_careerops
from tests.security.keys import rsa_pair

PRODUCTION = Settings(
    database_url="sqlite:///./never-opened.db",
    amqp_url="memory://",
    jwt_secret=Secret("Zq3v9Lx0-Tg7hB2kRw5nE8yC1mUa4sDf6"),
)
#: newlines written as \\n, the way a one-line variable holds them
ONE_LINE_PEM = "-----BEGIN PUBLIC KEY-----\\nabc\\n-----END PUBLIC KEY-----"
WEAK = {
    "missing": (None, "CAREEROPS_JWT_SECRET is not set"),
    "empty": (Secret(""), "CAREEROPS_JWT_SECRET is not set"),
    "short": (Secret("0123456789abcdef0123456789abcde"), "too short"),
    "dev secret": (Secret(DEV_JWT_SECRET), "well-known"),
    "placeholder": (Secret("Your-Secret-Key-Change-In-Production"), "well-known"),
    "one letter": (Secret("a" * 40), "not random"),
    "a word repeated": (Secret("my-app-signing-key" * 2), "not random"),
    "a well-known one twice": (Secret("your-256-bit-secret" * 2), "well-known"),
    "few symbols": (Secret("0" * 20 + "1" * 20), "not random"),
    "counting": (Secret("12345678901234567890123456789012"), "not random"),
    "a word repeated, then digits": (Secret("changemechangemechangemechangeme12"), "not random"),
    "the dev secret and a dot": (Secret(DEV_JWT_SECRET + "."), "well-known"),
    "the alphabet and on": (Secret("abcdefghijklmnopqrstuvwxyzabcdefghijklmnop"), "not random"),
    "digits, then letters": (Secret("0123456789abcdefghijklmnopqrstuvwxyz"), "not random"),
    "the keyboard's rows": (Secret("qwertyuiopasdfghjklzxcvbnm123456789"), "not random"),
    "backwards": (Secret("zyxwvutsrqponmlkjihgfedcba9876543210"), "not random"),
}


@pytest.mark.parametrize("case", WEAK)
def test_a_weak_secret_is_refused_outside_dev(case: str) -> None:
    secret, message = WEAK[case]
    with pytest.raises(SettingsError, match=message):
        replace(PRODUCTION, jwt_secret=secret).require()
    if secret is not None and str(secret):
        assert replace(PRODUCTION, jwt_secret=secret).for_dev().require().is_dev


def test_a_long_random_secret_is_accepted() -> None:
    assert PRODUCTION.require() is PRODUCTION
    for _ in range(200):  # what the README tells operators to make
        secret = Secret(secrets.token_urlsafe(48))
        assert replace(PRODUCTION, jwt_secret=secret).require()


def test_rs256_needs_a_public_key_and_no_secret() -> None:
    rs256 = replace(PRODUCTION, jwt_algorithm="RS256", jwt_secret=None)
    with pytest.raises(SettingsError, match="CAREEROPS_JWT_PUBLIC_KEY is not set"):
        rs256.require()
    _, public = rsa_pair()
    assert replace(rs256, jwt_public_key=public).require()
    with pytest.raises(SettingsError, match="not supported"):
        replace(PRODUCTION, jwt_algorithm="none").require()


def test_rs256_keys_that_do_not_parse_or_pair_are_refused_at_start() -> None:
    # A broken private key let register store an account, then fail to sign its token.
    private, public = rsa_pair()
    other, _ = rsa_pair()
    rs256 = replace(PRODUCTION, jwt_algorithm="RS256", jwt_secret=None, jwt_public_key=public)
    assert replace(rs256, jwt_private_key=Secret(private)).require()
    refusals = {
        "CAREEROPS_JWT_PUBLIC_KEY is not a PEM public key": replace(
            rs256, jwt_public_key="-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"
        ),
        "CAREEROPS_JWT_PRIVATE_KEY is not a PEM private key": replace(
            rs256, jwt_private_key=Secret("garbage")
        ),
        "is not the private key of CAREEROPS_JWT_PUBLIC_KEY": replace(
            rs256, jwt_private_key=Secret(other)
        ),
    }
    for message, settings in refusals.items():
        with pytest.raises(SettingsError, match=message):
            settings.require()


def test_the_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "CAREEROPS_JWT_ALGORITHM": "rs256",
            "CAREEROPS_JWT_PUBLIC_KEY": ONE_LINE_PEM,
            "CAREEROPS_ALLOWED_ORIGINS": "https://app.example, http://localhost:5173/",
            "CAREEROPS_GRAPHIQL": "true",
            "CAREEROPS_MAX_ACTIVE_JOBS": "3",
            "CAREEROPS_RETENTION_DAYS": "30",
        }
    )
    assert settings.jwt_algorithm == "RS256"
    assert settings.jwt_public_key is not None and "\nabc\n" in settings.jwt_public_key
    assert settings.allowed_origins == ("https://app.example", "http://localhost:5173")
    assert settings.graphiql_enabled and settings.introspection_enabled
    assert (settings.max_active_jobs, settings.retention_days) == (3, 30.0)
    with pytest.raises(SettingsError, match="CAREEROPS_ALLOWED_ORIGINS"):
        Settings.from_env({"CAREEROPS_ALLOWED_ORIGINS": "app.example/path"})


#: values no process can run with: one line naming the variable, not a traceback
BAD_VALUES = {
    "CAREEROPS_MAX_ATTEMPTS": ("abc", "CAREEROPS_MAX_ATTEMPTS must be a whole number, not 'abc'"),
    "CAREEROPS_QUORUM_QUEUES": ("maybe", "CAREEROPS_QUORUM_QUEUES must be on or off"),
    "CAREEROPS_LOG_LEVEL": ("LOUD", "CAREEROPS_LOG_LEVEL must be one of DEBUG"),
    "CAREEROPS_LOG_FORMAT": ("xml", "CAREEROPS_LOG_FORMAT must be json or text"),
    "CAREEROPS_DB_POOL_SIZE": ("0", "CAREEROPS_DB_POOL_SIZE must be at least 1, not 0"),
    "CAREEROPS_WORKER_CONCURRENCY": ("0", "CAREEROPS_WORKER_CONCURRENCY must be at least 1"),
    "CAREEROPS_LEASE_SECONDS": ("0", "CAREEROPS_LEASE_SECONDS must be more than 0"),
    "CAREEROPS_RETENTION_DAYS": ("-1", "CAREEROPS_RETENTION_DAYS must be at least 0, not -1$"),
    "CAREEROPS_DATABASE_URL": ("mysql://x/y", "CAREEROPS_DATABASE_URL must start with"),
    "CAREEROPS_AMQP_URL": ("garbage", "CAREEROPS_AMQP_URL must start with amqp://"),
    # an interval of 0 or NaN spun a core at 100% in an idle API
    "CAREEROPS_ACCOUNT_CHECK_SECONDS": ("0", "CAREEROPS_ACCOUNT_CHECK_SECONDS must be more than 0"),
    "CAREEROPS_QUIET_JOB_CHECK_SECONDS": ("nan", "must be more than 0, not nan"),
    "CAREEROPS_SHUTDOWN_GRACE_SECONDS": ("nan", "must be at least 0, not nan"),
    "CAREEROPS_STARTUP_WAIT_SECONDS": ("inf", "must be a finite number, not inf"),
    # a negative limit turned a check off, or refused every request
    "CAREEROPS_MAX_BODY_BYTES": ("-5", "CAREEROPS_MAX_BODY_BYTES must be at least 1, not -5"),
    "CAREEROPS_MAX_QUERY_DEPTH": ("-1", "CAREEROPS_MAX_QUERY_DEPTH must be at least 1"),
    "CAREEROPS_WEBSOCKET_MESSAGES_PER_SECOND": (
        "nan",
        "CAREEROPS_WEBSOCKET_MESSAGES_PER_SECOND must be at least 0, not nan",
    ),
    # the socket took 99999 modulo 65536, and uvicorn said it listened on 99999
    "CAREEROPS_PORT": ("99999", "CAREEROPS_PORT must be at most 65535, not 99999"),
    # each started, and every job then failed (or no trace left) with no word of why
    "OPENAI_BASE_URL": ("not-a-url", "OPENAI_BASE_URL must be an http:// or https:// URL"),
    "CAREEROPS_OTLP_ENDPOINT": ("ftp://x", "CAREEROPS_OTLP_ENDPOINT must be an http://"),
    "CAREEROPS_FORWARDED_ALLOW_IPS": (
        "127.0.0.1, 10.0.0.0/33",
        "CAREEROPS_FORWARDED_ALLOW_IPS must list addresses or networks"
        " \\(or \\*\\), not '10.0.0.0/33'",
    ),
}


@pytest.mark.parametrize("variable", BAD_VALUES)
def test_a_value_no_process_can_run_with_is_refused_naming_its_variable(variable: str) -> None:
    value, message = BAD_VALUES[variable]
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({variable: value})


def test_a_retention_past_a_century_is_refused_as_it_would_purge_nothing() -> None:
    # Accepted, 1e9 days put every purge round's cutoff before year 1: each round failed.
    with pytest.raises(SettingsError, match="CAREEROPS_RETENTION_DAYS must be at most 36500"):
        Settings.from_env({"CAREEROPS_RETENTION_DAYS": "1e9"})
    assert Settings.from_env({"CAREEROPS_RETENTION_DAYS": "36500"}).retention_days == 36_500


#: URLs the drivers took, then failed on with a traceback, or read otherwise than meant
BAD_URLS = {
    "a port that is no number": (
        "CAREEROPS_DATABASE_URL",
        "postgresql://ops:secret-pw@127.0.0.1:notaport/careerops",
        "CAREEROPS_DATABASE_URL has a port that is not a number",
    ),
    "one of its hosts' ports": (
        "CAREEROPS_DATABASE_URL",
        "postgresql://ops@db1:5432,db2:x/careerops",
        "has a port that is not a number",
    ),
    "an sslmode libpq has not": (
        "CAREEROPS_DATABASE_URL",
        "postgresql://ops@db/careerops?sslmode=bogus",
        "CAREEROPS_DATABASE_URL's sslmode must be one of disable, allow, prefer",
    ),
    # libpq's defaults then chose the database: `migrate` created the schema in another
    "no database": ("CAREEROPS_DATABASE_URL", "postgresql://", "names no database"),
    "no database, a host and a user": (
        "CAREEROPS_DATABASE_URL",
        "postgresql://ops@db:5432/",
        "names no database",
    ),
    "a broker port that is no number": (
        "CAREEROPS_AMQP_URL",
        "amqp://guest:secret-pw@rabbit:notaport/",
        "CAREEROPS_AMQP_URL has a port that is not a number",
    ),
    # aiormq read it as 0: heartbeats off, a dead connection never noticed
    "a heartbeat that is no number": (
        "CAREEROPS_AMQP_URL",
        "amqp://rabbit/?heartbeat=abc",
        "CAREEROPS_AMQP_URL's heartbeat must be a whole number from 0 to 65534, not 'abc'",
    ),
}


@pytest.mark.parametrize("case", BAD_URLS)
def test_a_url_the_drivers_would_misread_is_refused_without_its_password(case: str) -> None:
    variable, url, message = BAD_URLS[case]
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env({variable: url})
    assert "secret-pw" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ops@db1:5432,db2:5433/careerops?sslmode=verify-full",
        "postgresql:///careerops?host=/var/run/postgresql",
        "postgresql://ops@[::1]/careerops",
    ],
)
def test_urls_the_drivers_take_are_taken(url: str) -> None:
    assert Settings.from_env({"CAREEROPS_DATABASE_URL": url}).database_url == url


def test_a_database_named_in_the_query_is_taken_into_the_path() -> None:
    # where every driver reads it (asyncpg refused a dbname argument)
    url = "postgresql://ops@db/?dbname=careerops&sslmode=require"
    taken = Settings.from_env({"CAREEROPS_DATABASE_URL": url}).database_url
    assert taken == "postgresql://ops@db/careerops?sslmode=require"


def test_a_worker_given_a_url_it_cannot_use_says_so_in_one_line() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "CAREEROPS_DATABASE_URL": "postgresql://ops:pw@127.0.0.1:notaport/careerops",
        "CAREEROPS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "CAREEROPS_JWT_SECRET": "Zq3v9Lx0-Tg7hB2kRw5nE8yC1mUa4sDf6",
    }
    result = run_careerops("worker", env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "careerops: CAREEROPS_DATABASE_URL has a port that is not a number from 0 to 65535"
    ]


@pytest.mark.parametrize("proxies", ["*", "127.0.0.1", "10.0.0.0/8, ::1,192.0.2.7"])
def test_trusted_proxies_are_addresses_networks_or_any(proxies: str) -> None:
    settings = Settings.from_env({"CAREEROPS_FORWARDED_ALLOW_IPS": proxies})
    assert settings.forwarded_allow_ips == proxies


def test_an_empty_model_is_the_default_model() -> None:
    # docker-compose passes an unset variable on as "": sent as is, every job failed.
    assert Settings.from_env({"CAREEROPS_MODEL": " "}).model == "gpt-4o-mini"
    assert Settings.from_env({"CAREEROPS_MODEL": "gpt-4o"}).model == "gpt-4o"


@pytest.mark.parametrize(("value", "on"), [("on", True), ("OFF", False), ("yes", True)])
def test_a_switch_reads_as_the_readme_writes_it(value: str, on: bool) -> None:
    assert Settings.from_env({"CAREEROPS_ACCESS_LOG": value}).access_log is on


@pytest.mark.parametrize("process", ["api", "worker"])
@pytest.mark.parametrize(
    ("secret", "message"),
    [("short-secret", "too short"), (DEV_JWT_SECRET, "well-known")],
    ids=["short", "well-known"],
)
def test_api_and_worker_refuse_to_start_with_a_weak_secret(
    process: str, secret: str, message: str
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "CAREEROPS_DATABASE_URL": "sqlite:///./never-opened.db",
        "CAREEROPS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "CAREEROPS_JWT_SECRET": secret,
    }
    result = run_careerops(process, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("careerops: CAREEROPS_JWT_SECRET") and message in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["api", "--port", "99999"], "a port is 0 to 65535, not 99999"),
        (["worker", "--concurrency", "-1"], "must be at least 1, not -1"),
        (["worker", "--concurrency", "0"], "must be at least 1, not 0"),
        (["api", "--port", "abc"], "argument --port: not a whole number: 'abc'"),
        (["worker", "--concurrency", "x"], "argument --concurrency: not a whole number: 'x'"),
    ],
)
def test_a_command_line_value_no_process_can_run_with_is_refused_in_one_line(
    arguments: list[str], message: str
) -> None:
    # --concurrency -1 ended in a traceback, 0 was ignored; --port 99999 listened elsewhere
    run = run_careerops(*arguments)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "where", [["--host", "0.0.0.0"], ["--host", "::"], ["--host", "app.example.com"], []]
)
def test_dev_refuses_to_listen_beyond_this_machine_with_the_published_secret(
    where: list[str], tmp_path: Path
) -> None:
    # An outside tester ran `dev --host 0.0.0.0` and, with the secret from this repository,
    # signed a token that read another user's CV.
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "CAREEROPS_DATABASE_URL": f"sqlite:///{tmp_path}/dev.db",
        **({} if where else {"CAREEROPS_HOST": "0.0.0.0"}),
    }
    result = run_careerops("dev", *where, env=env)

    assert result.returncode == 2, result.stderr
    assert "published dev secret; set CAREEROPS_JWT_SECRET" in result.stderr
    assert not (tmp_path / "dev.db").exists(), "refused before anything was made"


def test_a_mistyped_variable_is_named_in_a_warning_as_the_process_starts() -> None:
    # CAREEROPS_MAX_ALIASES for CAREEROPS_MAX_QUERY_ALIASES left the limit at 15 without a
    # word (found by an outside README tester).
    script = (
        "import os; from core.settings import Settings; from core.logs import configure_logging;"
        " configure_logging(Settings.from_env(os.environ))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CAREEROPS_MAX_ALIASES": "0"}
    started = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )

    warning = json.loads(started.stderr)
    assert warning["level"] == "WARNING"
    assert warning["message"].startswith("no setting reads CAREEROPS_MAX_ALIASES (a name mistyped?")


def test_every_variable_the_readme_names_is_read_by_a_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`(CAREEROPS_[A-Z0-9_]+)`", readme))
    assert named - setting_variables() == set()
