"""The one settings object. Nothing else in the project reads the environment."""

import ipaddress
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import SplitResult, parse_qs, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.config import Config
from starlette.datastructures import Secret

Mode = Literal["dev", "production"]
WriterName = Literal["offline", "openai"]

DEV_JWT_SECRET = "careerops-dev-secret-not-for-production-use"
DEV_DATABASE_URL = "sqlite:///./careerops.db"
MEMORY_BROKER_URL = "memory://"


_WRITERS: dict[str, WriterName] = {"offline": "offline", "openai": "openai"}

#: HMAC algorithms sign and verify with CAREEROPS_JWT_SECRET; RSA ones verify with a public key
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
MIN_SECRET_BYTES = 32
#: a secret of fewer distinct characters than this was typed, not drawn at random
MIN_SECRET_SYMBOLS = 8
#: RabbitMQ's prefetch count is a 16-bit number
MAX_PREFETCH = 65_535
#: a hundred years: a longer retention is "keep for ever", which 0 says
MAX_RETENTION_DAYS = 36_500
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_SCHEMES = ("postgresql", "postgres", "sqlite")
BROKER_SCHEMES = ("amqp", "amqps", "memory")
#: placeholders that appear in docs and tutorials; compared without case
WELL_KNOWN_SECRETS = frozenset(
    {
        DEV_JWT_SECRET,
        "secret",
        "changeme",
        "change-me",
        "changeit",
        "password",
        "supersecret",
        "jwt-secret",
        "secret-key",
        "your-secret-key",
        "your-256-bit-secret",
        "your-secret-key-change-in-production",
        "please-change-this-secret-key-in-production",
    }
)


class _Environment(Config):
    """starlette's ``Config``, whose refusals are one line naming the variable (they were a
    traceback), and which reads a switch as the README writes it: on/off, yes/no too."""

    _SWITCHES = {"true": True, "1": True, "on": True, "yes": True}
    _SWITCHES |= {"false": False, "0": False, "off": False, "no": False}

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(environ=environ)
        #: every variable a setting was read from, set or not
        self.read: set[str] = set()

    def get(self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = ...) -> Any:
        self.read.add(key)
        return super().get(key, cast, default)

    def unread(self, prefix: str) -> tuple[str, ...]:
        """Variables with ``prefix`` that no setting reads: most likely a name mistyped."""
        return tuple(
            sorted(key for key in self.environ if key.startswith(prefix) and key not in self.read)
        )

    def _perform_cast(self, key: str, value: Any, cast: Callable[[Any], Any] | None = None) -> Any:
        if cast is bool and isinstance(value, str):
            switch = self._SWITCHES.get(value.strip().lower())
            if switch is None:
                raise SettingsError(f"{key} must be on or off (true/false), not {value!r}")
            return switch
        try:
            return super()._perform_cast(key, value, cast)
        except ValueError:
            kind = "a whole number" if cast is int else "a number" if cast is float else "valid"
            raise SettingsError(f"{key} must be {kind}, not {value!r}") from None


def setting_variables() -> frozenset[str]:
    """Every environment variable a setting is read from."""
    config = _Environment({})
    Settings._read(config)
    return frozenset(config.read)


class SettingsError(Exception):
    """A setting is missing or unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    mode: Mode = "production"
    database_url: str | None = None
    amqp_url: str | None = None
    #: prefixed to every queue and exchange name, so deployments (and tests) can share a vhost
    amqp_prefix: str = ""
    jwt_secret: Secret | None = None
    jwt_algorithm: str = "HS256"
    jwt_ttl_seconds: int = 7 * 24 * 3600
    writer: WriterName = "offline"
    writer_pace_ms: int = 60
    openai_api_key: Secret | None = None
    openai_base_url: str | None = None
    model: str = "gpt-4o-mini"
    #: the OpenAI client's timeout: connecting, sending, and each wait for more of the answer
    writer_timeout_seconds: float = 60.0
    #: an attempt that has no text from the model after this long is retried
    first_token_timeout_seconds: float = 20.0
    max_attempts: int = 5
    #: jobs one worker runs at once: a letter is 10-30 s of waiting on the model and a
    #: few flushes a second, so a worker is idle most of the time at 4
    worker_concurrency: int = 16
    #: Postgres connections per process; a worker running many jobs at once wants more,
    #: since each flush holds one for its UPDATE
    db_pool_size: int = 10
    #: a flush (one UPDATE, one event) happens at least this often while text streams...
    #: (110, not 100: flushes every 100 ms plus the claim and the completion made a
    #: streaming job 10.4 row updates a second; the budget is 10)
    flush_interval_ms: int = 110
    #: ...or as soon as this many characters are waiting
    flush_chars: int = 200
    #: a PROCESSING job whose lease runs out may be taken over by another worker
    lease_seconds: float = 60.0
    #: how often PENDING jobs without a confirmed publish are published again
    sweep_interval_seconds: float = 5.0
    #: a job counts as unpublished once it waited this long without a confirm
    sweep_grace_seconds: float = 10.0
    #: a PENDING job due this long, its publish confirmed, while the jobs queue holds no
    #: message, lost its message (a purged queue, a broker that lost its disk): the sweep
    #: publishes it again (0: never)
    republish_after_seconds: float = 120.0
    #: how long a publish may wait for the broker's confirm before the broker counts as down
    publish_timeout_seconds: float = 5.0
    #: on SIGTERM a worker finishes its jobs for this long, then hands the rest back
    shutdown_grace_seconds: float = 30.0
    #: an API or worker that starts before PostgreSQL or RabbitMQ tries to reach them for
    #: this long, then exits with an error (0: one try)
    startup_wait_seconds: float = 60.0
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    #: per-subscriber buffer; an overflow collapses the backlog into one SNAPSHOT
    subscriber_queue_size: int = 256
    #: an API process's own event queue in RabbitMQ keeps at most this many bytes of
    #: events the process has not read (a hung or starved API); older ones are dropped,
    #: and its subscribers re-read the rows (a gap in seq, or the quiet-subscription check)
    event_backlog_bytes: int = 64 << 20
    #: a subscription this long without an event has the rows of the jobs it follows
    #: checked for a change whose event was lost (it would otherwise wait forever)
    quiet_job_check_seconds: float = 30.0
    #: how often each API process closes the sockets of accounts deleted elsewhere
    account_check_seconds: float = 30.0
    #: the length a letter is expected to have, for the progress estimate
    expected_letter_chars: int = 2400
    host: str = "127.0.0.1"
    port: int = 8000
    #: proxies whose X-Forwarded-For names the client (comma-separated addresses or
    #: networks, "*" for any): the address failed sign-ins are counted by
    forwarded_allow_ips: str = "127.0.0.1"
    #: where a worker serves /healthz, /readyz and /metrics; port 0 turns it off
    worker_http_host: str = "127.0.0.1"
    worker_http_port: int = 9101
    #: "json" (one object per line) or "text"; unset: text in dev, JSON otherwise
    log_format: str | None = None
    log_level: str = "INFO"
    #: a log line per HTTP request (uvicorn's access log); unset: in dev only
    access_log: bool | None = None
    #: declare the jobs and dead-letter queues as quorum queues (a RabbitMQ cluster)
    quorum_queues: bool = False
    #: OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); unset: no tracing
    otlp_endpoint: str | None = None
    #: RS256 verifies tokens from an external identity provider with its public key (PEM)
    jwt_public_key: str | None = None
    #: signs RS256 tokens; without it register and login are refused (the provider issues them)
    jwt_private_key: Secret | None = None
    #: checked on every token, and set on the ones this service issues, when configured
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    #: browser origins besides the API's own that may call it (CORS) and open its websockets
    allowed_origins: tuple[str, ...] = ()
    #: GraphiQL at /graphql; unset: only in dev
    graphiql: bool | None = None
    #: schema introspection (and "Did you mean" hints in errors); unset: as GraphiQL
    introspection: bool | None = None
    #: HTTP request bodies above this get 413 (uvicorn sets no limit)
    max_body_bytes: int = 1 << 20
    max_query_depth: int = 10
    max_query_aliases: int = 15
    max_query_tokens: int = 1000
    max_subscriptions_per_connection: int = 100
    max_connections_per_user: int = 10
    #: a websocket's messages read per second on average, past a burst of ten seconds'
    #: worth; 0 reads them as fast as they come
    websocket_messages_per_second: float = 50.0
    #: a websocket that has not signed in (``connection_init``) by then is closed (4408);
    #: clients send it as the socket opens, and one left waiting holds a socket for nothing
    connection_init_wait_seconds: float = 15.0
    #: an HTTP request's head must come whole, and its body must not stall, within this
    #: (uvicorn bounds neither: idle half-sent requests could hold every file descriptor)
    request_read_seconds: float = 30.0
    jobs_per_minute: int = 10
    #: PENDING + PROCESSING jobs one user may have at once
    max_active_jobs: int = 5
    #: failed sign-ins (or deleteAccount passwords) allowed per window: for one email from
    #: one address, for one email from all addresses, and from one address for any emails
    login_failures_per_email_and_address: int = 5
    login_failures_per_email: int = 20
    login_failures_per_address: int = 20
    login_failure_window_seconds: float = 900.0
    #: accounts one address may register an hour; 0 turns the limit off
    sign_ups_per_address_per_hour: int = 100
    #: finished jobs older than this are purged by the workers; 0 keeps them for ever
    retention_days: float = 90.0
    purge_interval_seconds: float = 3600.0
    #: CAREEROPS_ variables set that no setting reads (``CAREEROPS_MAX_ALIASES`` for
    #: ``CAREEROPS_MAX_QUERY_ALIASES`` left the limit as it was, without a word)
    unknown_variables: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        config = _Environment(environ)
        settings = cls._read(config)
        return replace(settings, unknown_variables=config.unread("CAREEROPS_")).checked()

    @classmethod
    def _read(cls, config: Config) -> "Settings":
        api_key = config("OPENAI_API_KEY", cast=Secret, default=None)
        default_writer: WriterName = "openai" if api_key and str(api_key) else "offline"
        chosen = config("CAREEROPS_WRITER", default=default_writer)
        writer = _WRITERS.get(chosen)
        if writer is None:
            raise SettingsError(f"CAREEROPS_WRITER must be 'offline' or 'openai', not {chosen!r}")
        return cls(
            database_url=_database_in_path(config("CAREEROPS_DATABASE_URL", default=None)),
            amqp_url=config("CAREEROPS_AMQP_URL", default=None),
            amqp_prefix=config("CAREEROPS_AMQP_PREFIX", default=""),
            jwt_secret=config("CAREEROPS_JWT_SECRET", cast=Secret, default=None),
            jwt_ttl_seconds=config(
                "CAREEROPS_JWT_TTL_SECONDS", cast=int, default=cls.jwt_ttl_seconds
            ),
            writer=writer,
            writer_pace_ms=config("CAREEROPS_WRITER_PACE_MS", cast=int, default=cls.writer_pace_ms),
            openai_api_key=api_key,
            openai_base_url=config("OPENAI_BASE_URL", default=None),
            # Empty is unset, as compose's ${CAREEROPS_MODEL:-} passes it on.
            model=config("CAREEROPS_MODEL", default="").strip() or cls.model,
            writer_timeout_seconds=config(
                "CAREEROPS_WRITER_TIMEOUT_SECONDS", cast=float, default=cls.writer_timeout_seconds
            ),
            first_token_timeout_seconds=config(
                "CAREEROPS_FIRST_TOKEN_TIMEOUT_SECONDS",
                cast=float,
                default=cls.first_token_timeout_seconds,
            ),
            max_attempts=config("CAREEROPS_MAX_ATTEMPTS", cast=int, default=cls.max_attempts),
            db_pool_size=config("CAREEROPS_DB_POOL_SIZE", cast=int, default=cls.db_pool_size),
            worker_concurrency=config(
                "CAREEROPS_WORKER_CONCURRENCY", cast=int, default=cls.worker_concurrency
            ),
            lease_seconds=config("CAREEROPS_LEASE_SECONDS", cast=float, default=cls.lease_seconds),
            event_backlog_bytes=config(
                "CAREEROPS_EVENT_BACKLOG_BYTES", cast=int, default=cls.event_backlog_bytes
            ),
            quiet_job_check_seconds=config(
                "CAREEROPS_QUIET_JOB_CHECK_SECONDS", cast=float, default=cls.quiet_job_check_seconds
            ),
            account_check_seconds=config(
                "CAREEROPS_ACCOUNT_CHECK_SECONDS", cast=float, default=cls.account_check_seconds
            ),
            connection_init_wait_seconds=config(
                "CAREEROPS_CONNECTION_INIT_WAIT_SECONDS",
                cast=float,
                default=cls.connection_init_wait_seconds,
            ),
            sweep_interval_seconds=config(
                "CAREEROPS_SWEEP_INTERVAL_SECONDS", cast=float, default=cls.sweep_interval_seconds
            ),
            republish_after_seconds=config(
                "CAREEROPS_REPUBLISH_AFTER_SECONDS",
                cast=float,
                default=cls.republish_after_seconds,
            ),
            shutdown_grace_seconds=config(
                "CAREEROPS_SHUTDOWN_GRACE_SECONDS", cast=float, default=cls.shutdown_grace_seconds
            ),
            startup_wait_seconds=config(
                "CAREEROPS_STARTUP_WAIT_SECONDS", cast=float, default=cls.startup_wait_seconds
            ),
            worker_http_host=config("CAREEROPS_WORKER_HTTP_HOST", default=cls.worker_http_host),
            worker_http_port=config(
                "CAREEROPS_WORKER_HTTP_PORT", cast=int, default=cls.worker_http_port
            ),
            log_format=config("CAREEROPS_LOG_FORMAT", default=None),
            log_level=config("CAREEROPS_LOG_LEVEL", default=cls.log_level),
            access_log=config("CAREEROPS_ACCESS_LOG", cast=bool, default=None),
            otlp_endpoint=config("CAREEROPS_OTLP_ENDPOINT", default=None),
            quorum_queues=config("CAREEROPS_QUORUM_QUEUES", cast=bool, default=False),
            host=config("CAREEROPS_HOST", default=cls.host),
            port=config("CAREEROPS_PORT", cast=int, default=cls.port),
            forwarded_allow_ips=config(
                "CAREEROPS_FORWARDED_ALLOW_IPS", default=cls.forwarded_allow_ips
            ),
            **_security_from_env(config),
        )

    @property
    def is_dev(self) -> bool:
        return self.mode == "dev"

    def for_dev(self) -> "Settings":
        """The embedded default: SQLite, in-memory broker, a dev secret."""
        return replace(
            self,
            mode="dev",
            database_url=self.database_url or DEV_DATABASE_URL,
            amqp_url=MEMORY_BROKER_URL,
            jwt_secret=self.jwt_secret or Secret(DEV_JWT_SECRET),
        )

    def checked(self) -> "Settings":
        """Refuse values no process can run with, naming the variable, in one line."""
        # "not >=": NaN compares false both ways, and a NaN interval spun a core at 100%
        for variable, value, least in (
            ("CAREEROPS_DB_POOL_SIZE", self.db_pool_size, 1),
            ("CAREEROPS_WORKER_CONCURRENCY", self.worker_concurrency, 1),
            ("CAREEROPS_MAX_ATTEMPTS", self.max_attempts, 1),
            ("CAREEROPS_JWT_TTL_SECONDS", self.jwt_ttl_seconds, 1),
            ("CAREEROPS_WRITER_PACE_MS", self.writer_pace_ms, 0),
            ("CAREEROPS_SHUTDOWN_GRACE_SECONDS", self.shutdown_grace_seconds, 0),
            ("CAREEROPS_STARTUP_WAIT_SECONDS", self.startup_wait_seconds, 0),
            ("CAREEROPS_RETENTION_DAYS", self.retention_days, 0),
            ("CAREEROPS_REPUBLISH_AFTER_SECONDS", self.republish_after_seconds, 0),
            ("CAREEROPS_WORKER_HTTP_PORT", self.worker_http_port, 0),
            ("CAREEROPS_PORT", self.port, 0),
            ("CAREEROPS_EVENT_BACKLOG_BYTES", self.event_backlog_bytes, 1),
            ("CAREEROPS_MAX_BODY_BYTES", self.max_body_bytes, 1),
            ("CAREEROPS_MAX_QUERY_DEPTH", self.max_query_depth, 1),
            ("CAREEROPS_MAX_QUERY_ALIASES", self.max_query_aliases, 0),
            ("CAREEROPS_MAX_QUERY_TOKENS", self.max_query_tokens, 1),
            (
                "CAREEROPS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
                self.max_subscriptions_per_connection,
                1,
            ),
            ("CAREEROPS_MAX_CONNECTIONS_PER_USER", self.max_connections_per_user, 1),
            (
                "CAREEROPS_WEBSOCKET_MESSAGES_PER_SECOND",
                self.websocket_messages_per_second,
                0,
            ),
            ("CAREEROPS_JOBS_PER_MINUTE", self.jobs_per_minute, 0),
            ("CAREEROPS_MAX_ACTIVE_JOBS", self.max_active_jobs, 0),
            (
                "CAREEROPS_LOGIN_FAILURES_PER_EMAIL_AND_ADDRESS",
                self.login_failures_per_email_and_address,
                1,
            ),
            ("CAREEROPS_LOGIN_FAILURES_PER_EMAIL", self.login_failures_per_email, 1),
            ("CAREEROPS_LOGIN_FAILURES_PER_ADDRESS", self.login_failures_per_address, 1),
            (
                "CAREEROPS_SIGN_UPS_PER_ADDRESS_PER_HOUR",
                self.sign_ups_per_address_per_hour,
                0,
            ),
        ):
            if not value >= least:
                raise SettingsError(f"{variable} must be at least {least}, not {value:g}")
        for variable, seconds in (
            ("CAREEROPS_LEASE_SECONDS", self.lease_seconds),
            ("CAREEROPS_SWEEP_INTERVAL_SECONDS", self.sweep_interval_seconds),
            ("CAREEROPS_PURGE_INTERVAL_SECONDS", self.purge_interval_seconds),
            ("CAREEROPS_WRITER_TIMEOUT_SECONDS", self.writer_timeout_seconds),
            ("CAREEROPS_FIRST_TOKEN_TIMEOUT_SECONDS", self.first_token_timeout_seconds),
            ("CAREEROPS_QUIET_JOB_CHECK_SECONDS", self.quiet_job_check_seconds),
            ("CAREEROPS_ACCOUNT_CHECK_SECONDS", self.account_check_seconds),
            ("CAREEROPS_CONNECTION_INIT_WAIT_SECONDS", self.connection_init_wait_seconds),
            ("CAREEROPS_LOGIN_FAILURE_WINDOW_SECONDS", self.login_failure_window_seconds),
            ("CAREEROPS_REQUEST_READ_SECONDS", self.request_read_seconds),
        ):
            if not seconds > 0:
                raise SettingsError(f"{variable} must be more than 0, not {seconds:g}")
        for variable, value in _durations(self):
            if not math.isfinite(value):
                raise SettingsError(f"{variable} must be a finite number, not {value:g}")
        for variable, port in (
            ("CAREEROPS_PORT", self.port),
            ("CAREEROPS_WORKER_HTTP_PORT", self.worker_http_port),
        ):
            if port > MAX_PORT:
                raise SettingsError(f"{variable} must be at most {MAX_PORT}, not {port}")
        if self.retention_days > MAX_RETENTION_DAYS:
            # A cutoff before year 1 fails every purge round, so nothing would be purged.
            raise SettingsError(
                f"CAREEROPS_RETENTION_DAYS must be at most {MAX_RETENTION_DAYS} (0 keeps jobs"
                f" for ever), not {self.retention_days:g}"
            )
        if self.worker_concurrency > MAX_PREFETCH:
            raise SettingsError(
                f"CAREEROPS_WORKER_CONCURRENCY must be at most {MAX_PREFETCH},"
                f" not {self.worker_concurrency}"
            )
        if self.log_format not in (None, "json", "text"):
            raise SettingsError(
                f"CAREEROPS_LOG_FORMAT must be json or text, not {self.log_format!r}"
            )
        if self.log_level.upper() not in LOG_LEVELS:
            levels = ", ".join(LOG_LEVELS)
            raise SettingsError(
                f"CAREEROPS_LOG_LEVEL must be one of {levels}, not {self.log_level!r}"
            )
        for variable, url, schemes in (
            ("CAREEROPS_DATABASE_URL", self.database_url, DATABASE_SCHEMES),
            ("CAREEROPS_AMQP_URL", self.amqp_url, BROKER_SCHEMES),
        ):
            if url and urlsplit(url).scheme.split("+")[0] not in schemes:
                raise SettingsError(
                    f"{variable} must start with {' or '.join(f'{s}://' for s in schemes)}"
                )
        if self.database_url:
            _check_postgres_url(self.database_url)
        if self.amqp_url:
            _check_amqp_url(self.amqp_url)
        for variable, url in (
            ("OPENAI_BASE_URL", self.openai_base_url),
            ("CAREEROPS_OTLP_ENDPOINT", self.otlp_endpoint),
        ):
            parts = urlsplit(url or "")
            if url and (parts.scheme not in ("http", "https") or not parts.hostname):
                raise SettingsError(
                    f"{variable} must be an http:// or https:// URL with a host, not {url!r}"
                )
        for proxy in (item.strip() for item in self.forwarded_allow_ips.split(",")):
            if proxy != "*" and not _is_network(proxy):
                raise SettingsError(
                    "CAREEROPS_FORWARDED_ALLOW_IPS must list addresses or networks"
                    f" (or *), not {proxy!r}"
                )
        return self

    def required_database_url(self) -> str:
        """The database URL, which no process and no operator's command runs without."""
        if not self.database_url:
            raise SettingsError("CAREEROPS_DATABASE_URL is not set")
        return self.database_url

    def required_amqp_url(self) -> str:
        """The broker URL, which the API, the workers and the queue commands need."""
        if not self.amqp_url:
            raise SettingsError("CAREEROPS_AMQP_URL is not set")
        return self.amqp_url

    def require(self, *, broker: bool = True, tokens: bool = True) -> "Settings":
        """Refuse to run a production process without what it cannot guess (an operator's
        command that signs and reads no token runs without the token keys)."""
        self.required_database_url()
        if broker:
            self.required_amqp_url()
        if tokens:
            self._require_token_keys()
        if self.writer == "openai":
            self.required_openai_key()
        return self

    def required_openai_key(self) -> str | None:
        """The key the OpenAI writer sends: none for a server of one's own at
        ``OPENAI_BASE_URL`` (a local model's server takes requests without one)."""
        if self.openai_api_key is not None and str(self.openai_api_key):
            return str(self.openai_api_key)
        if not self.openai_base_url:
            raise SettingsError(
                "OPENAI_API_KEY is not set (CAREEROPS_WRITER=openai; a server of your own"
                " at OPENAI_BASE_URL needs none)"
            )
        return None

    def _require_token_keys(self) -> None:
        """A signing secret nobody can guess (HS*), or a public key (RS*); dev may use its own."""
        if self.jwt_algorithm not in HMAC_ALGORITHMS | RSA_ALGORITHMS:
            raise SettingsError(f"CAREEROPS_JWT_ALGORITHM {self.jwt_algorithm!r} is not supported")
        if self.jwt_algorithm in RSA_ALGORITHMS:
            self._require_key_pair()
            return
        secret = str(self.jwt_secret) if self.jwt_secret is not None else ""
        if not secret:
            raise SettingsError("CAREEROPS_JWT_SECRET is not set")
        if self.is_dev:
            return
        lowered = secret.strip().lower()
        # a long well-known one with a character added ("...-use." ) is as well known
        if lowered in WELL_KNOWN_SECRETS or any(
            len(known) >= 16 and known in lowered for known in WELL_KNOWN_SECRETS
        ):
            raise SettingsError("CAREEROPS_JWT_SECRET is a well-known secret; use random bytes")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"CAREEROPS_JWT_SECRET is too short: use at least {MIN_SECRET_BYTES} random bytes"
            )
        if _repeats_itself(secret) or _walks(secret) or len(set(secret)) < MIN_SECRET_SYMBOLS:
            raise SettingsError(
                "CAREEROPS_JWT_SECRET is not random (a repeated pattern); use random bytes"
            )

    def _require_key_pair(self) -> None:
        """A public key that parses, and a private key (if any) that is its pair: a broken
        private key let ``register`` store an account and then fail to sign its token."""
        from cryptography.hazmat.primitives.serialization import (
            load_pem_private_key,
            load_pem_public_key,
        )

        if not self.jwt_public_key:
            raise SettingsError(
                f"CAREEROPS_JWT_PUBLIC_KEY is not set (CAREEROPS_JWT_ALGORITHM="
                f"{self.jwt_algorithm}): a PEM public key is needed"
            )
        try:
            public = load_pem_public_key(self.jwt_public_key.encode())
        except ValueError:
            raise SettingsError("CAREEROPS_JWT_PUBLIC_KEY is not a PEM public key") from None
        if self.jwt_private_key is None:
            return
        try:
            private = load_pem_private_key(str(self.jwt_private_key).encode(), password=None)
        except (ValueError, TypeError):
            raise SettingsError(
                "CAREEROPS_JWT_PRIVATE_KEY is not a PEM private key without a passphrase"
            ) from None
        if private.public_key() != public:
            raise SettingsError(
                "CAREEROPS_JWT_PRIVATE_KEY is not the private key of CAREEROPS_JWT_PUBLIC_KEY"
            )

    @property
    def access_log_enabled(self) -> bool:
        # Off in production unless asked for: the ingress in front logs requests anyway,
        # and a line per request was 9% of a polling query's CPU (B5).
        return self.is_dev if self.access_log is None else self.access_log

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_dev if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.graphiql_enabled if self.introspection is None else self.introspection

    @property
    def secret(self) -> str:
        if self.jwt_secret is None:
            raise SettingsError("CAREEROPS_JWT_SECRET is not set")
        return str(self.jwt_secret)


def _repeats_itself(secret: str) -> bool:
    """40 times "a", a word repeated, "1234567890" counted on past 32: long enough, and
    guessed at once. Random text repeats almost none of its four-character pieces."""
    pieces = [secret[i : i + 4] for i in range(len(secret) - 3)]
    return len(set(pieces)) < 0.6 * len(pieces)


#: a keyboard's rows, walked along by "qwertyuiop" or "asdf1234"
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = frozenset(
    pair for row in _KEYBOARD_ROWS for a, b in itertools.pairwise(row) for pair in ((a, b), (b, a))
)


def _walks(secret: str) -> bool:
    """The alphabet, digits counted on, a keyboard's rows: every character the neighbour
    of the one before. Random text has few such pairs, a walk has nearly only them."""
    text = secret.lower()
    pairs = list(itertools.pairwise(text))
    walked = sum(abs(ord(b) - ord(a)) == 1 or (a, b) in _NEIGHBOURS for a, b in pairs)
    return walked >= 0.5 * len(pairs)


#: the highest TCP port (a larger number was taken modulo 65536 by the socket)
MAX_PORT = 65535

POSTGRES_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _database_in_path(url: str | None) -> str | None:
    """A PostgreSQL URL naming its database in the query (``?dbname=``, as libpq reads it,
    or ``?database=``) with the name in the path instead, where every driver looks: asyncpg
    refused ``dbname`` as an argument, and read without it, connected to libpq's default
    database."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres") or parts.path.strip("/"):
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = [value for key, value in query if key in ("dbname", "database")]
    if not named:
        return url
    rest = urlencode([(key, value) for key, value in query if key not in ("dbname", "database")])
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(named[0]), rest, parts.fragment))


def _check_postgres_url(url: str) -> None:
    """What the drivers would only find when connecting, with a traceback: a port that is
    no number, an sslmode they do not know. And a URL naming no database, which libpq's
    defaults fill in from the environment: ``postgresql://`` alone had ``careerops
    migrate`` create the schema in whatever database the local socket and the user's
    name led to. (The password is never echoed.)"""
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
        return
    query = parse_qs(parts.query)
    _check_port("CAREEROPS_DATABASE_URL", parts, query.get("port", []))
    if not parts.path.strip("/") and not {"dbname", "database", "service"} & query.keys():
        raise SettingsError(
            "CAREEROPS_DATABASE_URL names no database: postgresql://user@host:5432/<database>"
        )
    for mode in query.get("sslmode", []):
        if mode not in POSTGRES_SSL_MODES:
            raise SettingsError(
                f"CAREEROPS_DATABASE_URL's sslmode must be one of"
                f" {', '.join(POSTGRES_SSL_MODES)}, not {mode!r}"
            )


def _check_amqp_url(url: str) -> None:
    """A port that is no number; and the numbers aiormq reads from the query, which it
    takes as 0 when they are not numbers: ``?heartbeat=abc`` turned heartbeats off, so a
    dead connection went unnoticed."""
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps"):
        return
    query = parse_qs(parts.query)
    _check_port("CAREEROPS_AMQP_URL", parts, [])
    for name, most in (("heartbeat", 65534), ("timeout", None)):
        for value in query.get(name, []):
            if not value.isdigit() or (most is not None and int(value) > most):
                bound = f" from 0 to {most}" if most is not None else ""
                raise SettingsError(
                    f"CAREEROPS_AMQP_URL's {name} must be a whole number{bound}, not {value!r}"
                )


def _check_port(variable: str, parts: SplitResult, in_query: list[str]) -> None:
    """Each host's port (PostgreSQL takes ``host1:5432,host2:5433``), and one in the query."""
    hosts = parts.netloc.rpartition("@")[2].split(",")
    ports = [host.rpartition("]")[2].partition(":")[2] for host in hosts]
    for port in [p for p in ports if p] + in_query:
        if not port.isdigit() or int(port) > MAX_PORT:
            raise SettingsError(f"{variable} has a port that is not a number from 0 to 65535")


def _durations(settings: Settings) -> list[tuple[str, float]]:
    """Every setting read as a float, by its variable."""
    return [(variable, getattr(settings, name)) for name, variable in _FLOAT_VARIABLES.items()]


_SECURITY_INTS = {
    "max_body_bytes": "CAREEROPS_MAX_BODY_BYTES",
    "max_query_depth": "CAREEROPS_MAX_QUERY_DEPTH",
    "max_query_aliases": "CAREEROPS_MAX_QUERY_ALIASES",
    "max_query_tokens": "CAREEROPS_MAX_QUERY_TOKENS",
    "max_subscriptions_per_connection": "CAREEROPS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
    "max_connections_per_user": "CAREEROPS_MAX_CONNECTIONS_PER_USER",
    "jobs_per_minute": "CAREEROPS_JOBS_PER_MINUTE",
    "max_active_jobs": "CAREEROPS_MAX_ACTIVE_JOBS",
    "login_failures_per_email_and_address": "CAREEROPS_LOGIN_FAILURES_PER_EMAIL_AND_ADDRESS",
    "login_failures_per_email": "CAREEROPS_LOGIN_FAILURES_PER_EMAIL",
    "login_failures_per_address": "CAREEROPS_LOGIN_FAILURES_PER_ADDRESS",
    "sign_ups_per_address_per_hour": "CAREEROPS_SIGN_UPS_PER_ADDRESS_PER_HOUR",
}
_SECURITY_FLOATS = {
    "login_failure_window_seconds": "CAREEROPS_LOGIN_FAILURE_WINDOW_SECONDS",
    "retention_days": "CAREEROPS_RETENTION_DAYS",
    "purge_interval_seconds": "CAREEROPS_PURGE_INTERVAL_SECONDS",
    "request_read_seconds": "CAREEROPS_REQUEST_READ_SECONDS",
    "websocket_messages_per_second": "CAREEROPS_WEBSOCKET_MESSAGES_PER_SECOND",
}

#: every setting read as a float (its finiteness checked), by field name
_FLOAT_VARIABLES = {
    "lease_seconds": "CAREEROPS_LEASE_SECONDS",
    "sweep_interval_seconds": "CAREEROPS_SWEEP_INTERVAL_SECONDS",
    "republish_after_seconds": "CAREEROPS_REPUBLISH_AFTER_SECONDS",
    "shutdown_grace_seconds": "CAREEROPS_SHUTDOWN_GRACE_SECONDS",
    "startup_wait_seconds": "CAREEROPS_STARTUP_WAIT_SECONDS",
    "writer_timeout_seconds": "CAREEROPS_WRITER_TIMEOUT_SECONDS",
    "first_token_timeout_seconds": "CAREEROPS_FIRST_TOKEN_TIMEOUT_SECONDS",
    "quiet_job_check_seconds": "CAREEROPS_QUIET_JOB_CHECK_SECONDS",
    "account_check_seconds": "CAREEROPS_ACCOUNT_CHECK_SECONDS",
    "connection_init_wait_seconds": "CAREEROPS_CONNECTION_INIT_WAIT_SECONDS",
    **_SECURITY_FLOATS,
}


def _security_from_env(config: Config) -> dict[str, Any]:
    """Tokens, browser and abuse-limit settings (fields of ``Settings`` by name)."""
    values: dict[str, Any] = {
        name: config(variable, cast=int, default=getattr(Settings, name))
        for name, variable in _SECURITY_INTS.items()
    }
    values.update(
        (name, config(variable, cast=float, default=getattr(Settings, name)))
        for name, variable in _SECURITY_FLOATS.items()
    )
    private_key = config("CAREEROPS_JWT_PRIVATE_KEY", default=None)
    values.update(
        jwt_algorithm=config("CAREEROPS_JWT_ALGORITHM", default=Settings.jwt_algorithm).upper(),
        jwt_public_key=_pem(config("CAREEROPS_JWT_PUBLIC_KEY", default=None)),
        jwt_private_key=Secret(_pem(private_key) or "") if private_key else None,
        jwt_issuer=config("CAREEROPS_JWT_ISSUER", default=None),
        jwt_audience=config("CAREEROPS_JWT_AUDIENCE", default=None),
        allowed_origins=_origins(config("CAREEROPS_ALLOWED_ORIGINS", default="")),
        graphiql=config("CAREEROPS_GRAPHIQL", cast=bool, default=None),
        introspection=config("CAREEROPS_INTROSPECTION", cast=bool, default=None),
    )
    return values


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _pem(value: str | None) -> str | None:
    # A key in a one-line variable often has its newlines written as "\n".
    return value.replace("\\n", "\n") if value else None


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(item.strip().rstrip("/") for item in value.split(",") if item.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (
            parts.scheme not in ("http", "https") or not parts.netloc or parts.path
        ):
            raise SettingsError(
                f"CAREEROPS_ALLOWED_ORIGINS: {origin!r} is not an origin like https://example.com"
            )
    return origins
