"""The served Schema: errors masked on the way out, and no machinery for hooks nobody has.

Every result leaves through ``ServedSchema``: ``execute`` for HTTP queries and mutations,
``stream`` (and ``subscribe``, which calls it) for every operation on either websocket
protocol (HTTP streaming of subscriptions is not enabled). Only errors the service did not
expect are logged as errors, with their traceback: a client's mistakes and the refusals
with a contract code are the service working, and are logged at debug level.

Masking was a strawberry extension (``MaskErrors``), and strawberry wraps each of an
extension's hooks in context managers built afresh for every operation and, for
``on_stream_result``, for every event of every subscriber: without it a fan-out went
from 29,000-31,000 to 34,000-37,000 deliveries/s.
The runner below skips the context managers of hooks that no extension of the operation
has, which after that is all of them but parsing and validation; those two run the
hooks of extensions that say their hooks are simple (``SIMPLE_HOOKS``) as plain
generators, without a context manager built per hook and per operation.
"""

import functools
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from contextlib import aclosing, nullcontext
from types import TracebackType
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from core.errors import ServiceUnavailable
from core.logs import where_it_failed
from db.connection import DatabaseUnavailable
from schema.masking import ErrorMasking, is_internal

_log = logging.getLogger(__name__)

#: a context manager, sync and async, that does nothing: a stage no extension hooks
_NOTHING: Any = nullcontext()

#: the class attribute by which an extension says its hooks are generators that run to
#: their one ``yield`` and past it, and neither catch nor suppress an exception
SIMPLE_HOOKS = "simple_hooks"


class ServedSchema(strawberry.Schema):
    """strawberry's Schema, with every result's errors masked (``schema.masking``)."""

    def __init__(self, *args: Any, masking: ErrorMasking, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.masking = masking
        #: whether a subscription's result leaves as executed when it has no errors: no
        #: extension has a hook on streamed results or adds to them (``schema.express``
        #: sends such results past this schema's stream)
        self.streams_results_as_executed = not any(
            _overrides(extension, hook)
            for extension in self.extensions
            for hook in ("on_stream_result", "get_results")
        )

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        # Only a plain HTTP request lands here (every stream goes through ``stream``): a
        # subscription would run as a query and fail inside with an internal error. It is
        # refused as strawberry refuses a mutation over GET: 400, "subscriptions are not
        # allowed when using POST".
        allowed = kwargs.get("allowed_operation_types") or DEFAULT_ALLOWED_OPERATION_TYPES
        kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        result = as_refusal_if_refused(await super().execute(*args, **kwargs))
        self.masking.mask(result)
        return result

    def execute_sync(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = super().execute_sync(*args, **kwargs)
        self.masking.mask(result)
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._masked(await super().stream(*args, **kwargs))

    async def subscribe(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> Any:
        # The legacy graphql-ws protocol (the only caller) runs queries and mutations sent
        # with ``start`` as well, as graphql-transport-ws does; strawberry's ``subscribe``
        # refused them with an error that left as INTERNAL.
        return await self.stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if (outage := _database_outage(error)) is not None:
                # An outage, not a bug: a line per refused request, without a traceback.
                _log.warning("refused: %s", outage)
            elif is_internal(error):
                # Not strawberry's line: graphql-core appends the document to the error, and
                # its literals may be a password or a CV (a failed register logged one); nor
                # the message, which may quote a value, as the worker's log does not.
                where = _field_of(error) or "the operation"
                _log.error("internal error in %s: %s", where, where_it_failed(_cause(error)))
            else:
                # Not the message: graphql-core's quote the values refused ("found:
                # {'cvText': ...}"), and texts the client sent are never logged.
                _log.debug("refused: %s", _what_refused(error))

    async def _masked(self, results: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
        # Closed with its consumer's operation, so strawberry's stream (and the
        # resolver's subscription to the hub) is closed at once too.
        async with aclosing(results):  # type: ignore[type-var]
            first = True  # only the first result can refuse the request: not every event
            async for result in results:
                if first and isinstance(result, ExecutionResult):
                    result = as_refusal_if_refused(result)
                first = False
                self.masking.mask(result)
                yield result

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


def as_refusal_if_refused(result: ExecutionResult) -> ExecutionResult:
    """``result``, as the ``PreExecutionError`` it is when it refuses its request before
    execution began: graphql-core's ``execute`` returns variables it could not coerce as an
    ordinary result with no data. HTTP then answered ``"data": null`` (the spec leaves the
    entry out), and the websocket protocols ``next`` and ``complete`` instead of ``error``.
    Such errors have no path; every execution error has one.
    """
    if type(result) is not ExecutionResult or result.data is not None or not result.errors:
        return result
    if any(error.path is not None for error in result.errors):
        return result
    return PreExecutionError(data=None, errors=result.errors, extensions=result.extensions)


def _cause(error: GraphQLError) -> BaseException:
    original: BaseException | None = error.original_error
    return error if original is None else original


def _database_outage(error: GraphQLError) -> DatabaseUnavailable | None:
    """The outage behind an error: raised as it is, or already told as ServiceUnavailable
    (the caller's account is read before the field, and a read refused so says that)."""
    original: BaseException | None = error.original_error
    if isinstance(original, ServiceUnavailable):
        original = original.__cause__
    return original if isinstance(original, DatabaseUnavailable) else None


def _what_refused(error: GraphQLError) -> str:
    original = error.original_error
    kind = type(original).__name__ if original is not None else "an invalid document"
    return f"{kind} at {_field_of(error) or 'the document'}"


def _field_of(error: GraphQLError) -> str:
    """The path of the field an error was raised in ("" for the document's own errors)."""
    return ".".join(map(str, error.path or ()))


def _overrides(extension: object, hook: str) -> bool:
    """Whether an extension (a class, an instance, a partial of a class, or some other
    factory, whose extension is not known until it is called: it may have any) has ``hook``."""
    if isinstance(extension, functools.partial):
        extension = extension.func
    if not isinstance(extension, type):
        if not isinstance(extension, SchemaExtension):
            return True
        extension = type(extension)
    return getattr(extension, hook) is not getattr(SchemaExtension, hook)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """strawberry's runner, minus the context managers of hooks no extension has."""

    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> None:
        super().__init__(execution_context=execution_context, extensions=extensions)
        self._hooks: dict[str, list[SchemaExtension]] = {}

    def _hooked_by(self, hook: str) -> list[SchemaExtension]:
        # Asked again for every event of a subscription: answered once per operation.
        hooked = self._hooks.get(hook)
        if hooked is None:
            hooked = [e for e in self.extensions if _overrides(e, hook)]
            self._hooks[hook] = hooked
        return hooked

    def _stage(self, hook: str, strawberrys: Callable[[], Any]) -> Any:
        """Nothing for a stage nobody hooks, simple hooks run plainly, else strawberry's."""
        hooked = self._hooked_by(hook)
        if not hooked:
            return _NOTHING
        if all(getattr(type(e), SIMPLE_HOOKS, False) for e in hooked):
            return _SimpleHooks([getattr(e, hook) for e in hooked])
        return strawberrys()

    def operation(self) -> Any:
        return self._stage("on_operation", super().operation)

    def parsing(self) -> Any:
        return self._stage("on_parse", super().parsing)

    def validation(self) -> Any:
        return self._stage("on_validate", super().validation)

    def executing(self) -> Any:
        return self._stage("on_execute", super().executing)

    def on_stream_result(self, result: Any) -> Any:
        # Hooks of this stage take the result: strawberry's own manager, when there are any.
        if not self._hooked_by("on_stream_result"):
            return _NOTHING
        return super().on_stream_result(result)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._hooked_by("get_results"):
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


class _SimpleHooks:
    """One stage's simple hooks: each run to its ``yield`` on entry and past it on exit.

    On an exception the hooks are closed where they stand (a simple hook would only let it
    pass) and the exception goes on.
    """

    __slots__ = ("_hooks", "_running")

    def __init__(self, hooks: list[Callable[[], Generator[None, None, None]]]) -> None:
        self._hooks = hooks
        self._running: list[Generator[None, None, None]] = []

    def __enter__(self) -> None:
        for hook in self._hooks:
            running = hook()
            next(running)
            self._running.append(running)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        running, self._running = self._running, []
        for generator in reversed(running):
            if exc_type is None:
                next(generator, None)
            else:
                generator.close()

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)
