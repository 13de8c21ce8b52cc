"""The one settings object. Nothing else in the project reads the environment."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from starlette.config import Config
from starlette.datastructures import Secret

Mode = Literal["dev", "production"]
WriterName = Literal["offline", "openai"]

DEV_JWT_SECRET = "careerops-dev-secret-not-for-production-use"
DEV_DATABASE_URL = "sqlite:///./careerops.db"
MEMORY_BROKER_URL = "memory://"


_WRITERS: dict[str, WriterName] = {"offline": "offline", "openai": "openai"}


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
    worker_concurrency: int = 4
    #: a flush (one UPDATE, one event) happens at least this often while text streams...
    flush_interval_ms: int = 100
    #: ...or as soon as this many characters are waiting
    flush_chars: int = 200
    #: a PROCESSING job whose lease runs out may be taken over by another worker
    lease_seconds: float = 60.0
    #: how often PENDING jobs without a confirmed publish are published again
    sweep_interval_seconds: float = 5.0
    #: a job counts as unpublished once it waited this long without a confirm
    sweep_grace_seconds: float = 10.0
    #: how long a publish may wait for the broker's confirm before the broker counts as down
    publish_timeout_seconds: float = 5.0
    #: on SIGTERM a worker finishes its jobs for this long, then hands the rest back
    shutdown_grace_seconds: float = 30.0
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    #: per-subscriber buffer; an overflow collapses the backlog into one SNAPSHOT
    subscriber_queue_size: int = 256
    #: the length a letter is expected to have, for the progress estimate
    expected_letter_chars: int = 2400
    host: str = "127.0.0.1"
    port: int = 8000
    #: where a worker serves /healthz, /readyz and /metrics; port 0 turns it off
    worker_http_host: str = "127.0.0.1"
    worker_http_port: int = 9101
    #: "json" (one object per line) or "text"; unset: text in dev, JSON otherwise
    log_format: str | None = None
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        config = Config(environ=environ)
        api_key = config("OPENAI_API_KEY", cast=Secret, default=None)
        default_writer: WriterName = "openai" if api_key and str(api_key) else "offline"
        chosen = config("CAREEROPS_WRITER", default=default_writer)
        writer = _WRITERS.get(chosen)
        if writer is None:
            raise SettingsError(f"CAREEROPS_WRITER must be 'offline' or 'openai', not {chosen!r}")
        return cls(
            database_url=config("CAREEROPS_DATABASE_URL", default=None),
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
            model=config("CAREEROPS_MODEL", default=cls.model),
            writer_timeout_seconds=config(
                "CAREEROPS_WRITER_TIMEOUT_SECONDS", cast=float, default=cls.writer_timeout_seconds
            ),
            first_token_timeout_seconds=config(
                "CAREEROPS_FIRST_TOKEN_TIMEOUT_SECONDS",
                cast=float,
                default=cls.first_token_timeout_seconds,
            ),
            max_attempts=config("CAREEROPS_MAX_ATTEMPTS", cast=int, default=cls.max_attempts),
            worker_concurrency=config(
                "CAREEROPS_WORKER_CONCURRENCY", cast=int, default=cls.worker_concurrency
            ),
            lease_seconds=config("CAREEROPS_LEASE_SECONDS", cast=float, default=cls.lease_seconds),
            sweep_interval_seconds=config(
                "CAREEROPS_SWEEP_INTERVAL_SECONDS", cast=float, default=cls.sweep_interval_seconds
            ),
            shutdown_grace_seconds=config(
                "CAREEROPS_SHUTDOWN_GRACE_SECONDS", cast=float, default=cls.shutdown_grace_seconds
            ),
            worker_http_host=config("CAREEROPS_WORKER_HTTP_HOST", default=cls.worker_http_host),
            worker_http_port=config(
                "CAREEROPS_WORKER_HTTP_PORT", cast=int, default=cls.worker_http_port
            ),
            log_format=config("CAREEROPS_LOG_FORMAT", default=None),
            log_level=config("CAREEROPS_LOG_LEVEL", default=cls.log_level),
            host=config("CAREEROPS_HOST", default=cls.host),
            port=config("CAREEROPS_PORT", cast=int, default=cls.port),
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

    def require(self, *, broker: bool = True) -> "Settings":
        """Refuse to run a production process without what it cannot guess."""
        if not self.database_url:
            raise SettingsError("CAREEROPS_DATABASE_URL is not set")
        if broker and not self.amqp_url:
            raise SettingsError("CAREEROPS_AMQP_URL is not set")
        if self.jwt_secret is None or not str(self.jwt_secret):
            raise SettingsError("CAREEROPS_JWT_SECRET is not set")
        if not self.is_dev and str(self.jwt_secret) == DEV_JWT_SECRET:
            raise SettingsError("CAREEROPS_JWT_SECRET is the well-known dev secret")
        if self.writer == "openai" and not self.openai_api_key:
            raise SettingsError("OPENAI_API_KEY is not set (CAREEROPS_WRITER=openai)")
        return self

    @property
    def secret(self) -> str:
        if self.jwt_secret is None:
            raise SettingsError("CAREEROPS_JWT_SECRET is not set")
        return str(self.jwt_secret)
