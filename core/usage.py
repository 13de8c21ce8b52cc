"""What writing one letter cost, and how fast it went: stored on the job, shown as ``Job.usage``."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """Each field is ``None`` when nobody could measure it (the field names are the columns)."""

    #: the model that wrote the letter, as the provider named it
    model: str | None = None
    #: the version of the prompt (or template) the letter was written from
    prompt_version: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: from the request to the first text of the answer
    time_to_first_token_ms: int | None = None
    #: from the request to the end of the answer
    duration_ms: int | None = None

    @property
    def is_empty(self) -> bool:
        return self == Usage()
