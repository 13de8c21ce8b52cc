"""How a handler tells the consumer loop what happened to its attempt."""


class Retry(Exception):
    """A transient failure: run the job again later (``after`` seconds, if the cause says)."""

    def __init__(
        self, reason: str, *, after: float | None = None, cause: str = "transient"
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        #: a short, bounded name for metrics ("rate_limited", "server_error", "timeout", ...)
        self.cause = cause

    def __repr__(self) -> str:
        return f"Retry({self.reason!r}, after={self.after!r})"


class PermanentError(Exception):
    """The job cannot succeed by trying again; the message is the user-facing reason."""

    def __repr__(self) -> str:
        return f"PermanentError({str(self)!r})"


class Fenced(Exception):
    """This attempt no longer owns the job (cancelled, or taken over): stop quietly."""
