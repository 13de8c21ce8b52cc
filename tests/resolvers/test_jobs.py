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


LONG_PAGE = (
    "query($after: String) { jobs(first: 100, after: $after) {"
    " totalCount pageInfo { hasNextPage endCursor } edges { node { id ...texts } } } }"
    " fragment texts on Job { cvText jobDescription }"
)


async def test_a_page_of_long_texts_ends_early_and_the_next_pages_hold_the_rest(
    start_api: StartApi,
) -> None:
    api = await start_api()
    token = await api.register()
    longest = {"jobDescription": "d" * 20_000, "cvText": "c" * 50_000}
    created = [(await api.create_job(token, **longest))["id"] for _ in range(30)]

    pages: list[list[str]] = []
    after = None
    while True:
        page = (await api.data(LONG_PAGE, {"after": after}, token))["jobs"]
        assert page["totalCount"] == 30
        pages.append([edge["node"]["id"] for edge in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    ids_only = (await api.data(PAGE, {"first": 100}, token))["jobs"]

    # 70,000 characters a job: 28 of them fit in a page's 2,000,000
    assert [len(page) for page in pages] == [28, 2]
    assert [job_id for page in pages for job_id in page] == list(reversed(created))
    assert len(ids_only["edges"]) == 30
    assert not ids_only["pageInfo"]["hasNextPage"]


async def test_answers_write_characters_past_ascii_as_utf8_not_escapes(api: Api) -> None:
    token = await api.register()
    job = await api.create_job(token, companyName="Café 😀")

    response = await api.http.post(
        "/graphql",
        json={"query": "query($id: ID!) { job(id: $id) { companyName } }", "variables": job},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.headers["content-type"].startswith("application/json")
    assert '"companyName":"Café 😀"'.encode() in response.content, response.content
