"""Which schemas let a subscription's results go out as executed (``schema.express``)."""

import functools
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from core.settings import Settings
from schema.build import build_schema
from schema.masking import ErrorMasking
from schema.served import ServedSchema
from schema.sharing import SharedResults


@strawberry.type
class Query:
    ok: bool = True


class StampsResults(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        return {"stamp": 1}


class WatchesStreams(SchemaExtension):
    async def on_stream_result(self, result: Any) -> Any:
        yield


class OnlyValidates(SchemaExtension):
    def on_validate(self) -> Any:
        yield


def served(*extensions: Any) -> ServedSchema:
    return ServedSchema(
        masking=ErrorMasking(hide_suggestions=True), query=Query, extensions=extensions
    )


def test_the_deployed_schema_sends_results_as_executed() -> None:
    schema = build_schema(Settings(), SharedResults())
    assert isinstance(schema, ServedSchema) and schema.streams_results_as_executed


@pytest.mark.parametrize(
    "extension",
    [StampsResults, functools.partial(WatchesStreams), lambda: OnlyValidates()],
    ids=["adds-results", "partial-watches-streams", "unknown-factory"],
)
def test_an_extension_that_may_touch_streamed_results_keeps_them_on_the_long_way(
    extension: Any,
) -> None:
    assert not served(OnlyValidates, extension).streams_results_as_executed


def test_extensions_with_other_hooks_only_leave_the_short_way_open() -> None:
    assert served(OnlyValidates, functools.partial(OnlyValidates)).streams_results_as_executed
