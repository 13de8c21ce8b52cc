import strawberry

from core.usage import Usage as UsageRecord


@strawberry.type(description="What writing the letter cost; each field is null when unknown.")
class Usage:
    model: str | None = strawberry.field(description="The model that wrote the letter.")
    prompt_tokens: int | None
    completion_tokens: int | None
    time_to_first_token_ms: int | None = strawberry.field(
        description="From the request to the first text of the answer."
    )
    duration_ms: int | None = strawberry.field(
        description="From the request to the end of the answer."
    )
    prompt_version: str | None = strawberry.field(
        description="The version of the prompt the letter was written from."
    )

    @classmethod
    def from_usage(cls, usage: UsageRecord) -> "Usage":
        return cls(
            model=usage.model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            time_to_first_token_ms=usage.time_to_first_token_ms,
            duration_ms=usage.duration_ms,
            prompt_version=usage.prompt_version,
        )
