"""The jobs connection: newest first, no gaps or repeats across pages."""

import pytest

from tests.client import Api, GraphQLErrors
from tests.conftest import StartApi

PAGE = (
    "query($first: Int!, $after: String, $status: JobStatus) {"
    " jobs(first: $first, after: $after, status: $status) {"
    " totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status } } } }"
)


async def test_pages_walk_every_job_newest_first_without_gaps_or_repeats(
    start_api: StartApi,
) -> None:
    api = await start_api()
    token = await api.register()
    created = [(await api.create_job(token))["id"] for _ in range(7)]

    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(PAGE, {"first": 3, "after": after}, token))["jobs"]
        assert page["totalCount"] == 7
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == list(reversed(created))


async def test_status_filter(start_api: StartApi) -> None:
    api = await start_api()
    token = await api.register()
    kept = await api.create_job(token)
    cancelled = await api.create_job(token)
    await api.data(
        "mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": cancelled["id"]}, token
    )

    pending = (await api.data(PAGE, {"first": 10, "status": "PENDING"}, token))["jobs"]
    gone = (await api.data(PAGE, {"first": 10, "status": "CANCELLED"}, token))["jobs"]

    assert [edge["node"]["id"] for edge in pending["edges"]] == [kept["id"]]
    assert [edge["node"]["id"] for edge in gone["edges"]] == [cancelled["id"]]


@pytest.mark.parametrize("first", [101, -1])
async def test_first_out_of_range_is_bad_user_input(api: Api, first: int) -> None:
    token = await api.register()
    with pytest.raises(GraphQLErrors) as error:
        await api.data(PAGE, {"first": first}, token)
    assert error.value.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_a_forged_cursor_is_bad_user_input(api: Api) -> None:
    token = await api.register()
    error = await api.error(PAGE, {"first": 5, "after": "!!not-a-cursor!!"}, token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
