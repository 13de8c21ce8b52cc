"""The OpenAI-compatible writer: streamed chat completions through the official client.

It works with OpenAI and with servers that speak the same protocol (vLLM,
Ollama, LM Studio, llama.cpp). One ``AsyncOpenAI`` client, and so one
connection pool, serves every job of the process.
"""

import asyncio
import json
from collections.abc import AsyncIterator

import openai
from openai.types.chat import ChatCompletionChunk

from core.settings import Settings
from worker.writers import failures
from worker.writers.base import LetterRequest, Usage, texts_of
from worker.writers.prompt import PROMPT_VERSION, build_messages

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: the key sent to a server at ``OPENAI_BASE_URL`` when no ``OPENAI_API_KEY`` is set
NO_KEY = "none"


class _Answer:
    """What the chunks of one streamed answer said, besides the text."""

    def __init__(self, model: str, first_text_deadline: float, text_gap: float) -> None:
        self.model = model
        self.started = False
        self.chunks = 0
        #: when the next text must have come: the first-token timeout, then ``text_gap``
        #: after the last text (keep-alive comments and empty deltas do not count)
        self.deadline = first_text_deadline
        self._text_gap = text_gap
        self.has_text = False
        self.refusal = ""
        self.finish_reason: str | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None

    def read(self, chunk: ChatCompletionChunk) -> str:
        """The text in ``chunk``; notes its model, usage and finish reason."""
        self.chunks += 1
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.prompt_tokens = chunk.usage.prompt_tokens
            self.completion_tokens = chunk.usage.completion_tokens
        text = ""
        # Compatible servers leave out fields OpenAI always sends: read defensively.
        for choice in chunk.choices or ():
            if choice.index not in (0, None):
                continue
            if choice.delta is not None:
                text += _text(choice.delta.content)
                self.refusal += _text(choice.delta.refusal)
            self.finish_reason = choice.finish_reason or self.finish_reason
        if text:
            self.started = True
            self.deadline = asyncio.get_running_loop().time() + self._text_gap
        self.has_text = self.has_text or bool(text.strip())
        return text

    def usage(self) -> Usage:
        return Usage(
            model=self.model,
            prompt_version=PROMPT_VERSION,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )


def _text(value: object) -> str:
    # The client builds its chunk objects without validating them.
    if value is None or isinstance(value, str):
        return value or ""
    raise failures.MalformedAnswer(f"a chunk's text is a {type(value).__name__}")


class OpenAIWriter:
    """Streams a letter from a chat-completions endpoint.

    Every failure leaves as ``Retry`` or ``PermanentError`` (see ``failures``).
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str,
        first_token_timeout: float,
        text_gap_timeout: float,
        secret: str | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._first_token_timeout = first_token_timeout
        self._text_gap_timeout = text_gap_timeout
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> "OpenAIWriter":
        key = settings.required_openai_key()
        client = openai.AsyncOpenAI(
            # The client will not go without a key; a server of one's own ignores it.
            api_key=key or NO_KEY,
            # Explicit, so the client never falls back to reading the environment itself.
            base_url=settings.openai_base_url or DEFAULT_BASE_URL,
            # Its defaults (600 s, two silent retries) would hide failures inside one
            # attempt; the worker retries, with backoff, through the broker instead.
            timeout=settings.writer_timeout_seconds,
            max_retries=0,
        )
        return cls(
            client,
            model=settings.model,
            first_token_timeout=settings.first_token_timeout_seconds,
            # The client's own timeout is per read: keep-alive comments would reset it.
            text_gap_timeout=settings.writer_timeout_seconds,
            secret=key,
        )

    def write(self, request: LetterRequest) -> AsyncIterator[str]:
        return texts_of(self.write_with_usage(request))

    async def write_with_usage(self, request: LetterRequest) -> AsyncIterator[str | Usage]:
        deadline = asyncio.get_running_loop().time() + self._first_token_timeout
        answer = _Answer(self._model, deadline, self._text_gap_timeout)
        stream: openai.AsyncStream[ChatCompletionChunk] | None = None
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    stream = await self._client.chat.completions.create(
                        model=self._model,
                        messages=build_messages(request),
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                chunks = aiter(stream)
                while (chunk := await _next(chunks, answer)) is not None:
                    if text := answer.read(chunk):
                        yield text
            except TimeoutError:
                if answer.started:
                    raise failures.text_stalled(self._text_gap_timeout) from None
                raise failures.first_token_timeout(self._first_token_timeout) from None
            except (openai.OpenAIError, json.JSONDecodeError, failures.MalformedAnswer) as e:
                # Not chained: the original holds the request, with its Authorization header.
                raise failures.classify(e, secret=self._secret) from None
            content_type = stream.response.headers.get("content-type")
            if answer.chunks == 0 and not (content_type or "").startswith("text/event-stream"):
                raise failures.not_an_event_stream(content_type)
            failures.check_finish(
                answer.finish_reason, has_text=answer.has_text, refusal=answer.refusal
            )
            yield answer.usage()
        finally:
            # Closing the response closes its connection: a cancelled job stops the
            # provider's generation (and its bill) at once.
            if stream is not None:
                await stream.close()

    async def close(self) -> None:
        await self._client.close()


async def _next(
    chunks: AsyncIterator[ChatCompletionChunk], answer: _Answer
) -> ChatCompletionChunk | None:
    """The next chunk, or None at the end of the stream: its end, or its connection lost
    or silent after the model had finished (only the usage and ``[DONE]`` were still to
    come: asked again, the whole letter would be written, and billed, twice)."""
    try:
        async with asyncio.timeout_at(answer.deadline):
            return await anext(chunks)
    except StopAsyncIteration:
        return None
    except (openai.APIConnectionError, TimeoutError):
        if answer.finish_reason is None:
            raise
        return None
