"""The jobs connection: newest first, no gaps or repeats across pages; job ids."""

import base64
import logging
import uuid

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


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-14:00"],
    ids=["before year 1 in UTC", "after year 9999 in UTC"],
)
async def test_a_cursor_at_a_moment_no_database_holds_is_bad_user_input(
    api: Api, moment: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = await api.register()
    forged = base64.urlsafe_b64encode(f"{moment}|{uuid.uuid4()}".encode()).decode()

    error = await api.error(PAGE, {"first": 5, "after": forged}, token)

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no traceback logged"


async def test_a_job_id_is_found_in_any_form_of_its_uuid(start_api: StartApi) -> None:
    api = await start_api()  # no worker: the job waits, so it can be cancelled
    token, job = await api.user_with_job()
    upper = job["id"].upper()
    for form in (upper, "{" + job["id"] + "}", job["id"].replace("-", "")):
        found = await api.job(token, form)
        assert found is not None and found["id"] == job["id"], form

    cancel = "mutation($id: ID!) { cancelJob(id: $id) { id status } }"
    cancelled = await api.data(cancel, {"id": upper}, token)
    assert cancelled["cancelJob"] == {"id": job["id"], "status": "CANCELLED"}
    events = await api.job_events(token, upper)
    assert [event["status"] for event in events] == ["CANCELLED"]
    deleted = await api.data("mutation($id: ID!) { deleteJob(id: $id) }", {"id": upper}, token)
    assert deleted["deleteJob"] is True
    assert await api.job(token, job["id"]) is None
