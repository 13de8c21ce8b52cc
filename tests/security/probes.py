"""What every attack test needs: raw requests, error codes, row counts, an honest client."""

import json
from typing import Any

from db.connection import Db
from tests.client import Api, Json

CREATE = (
    "mutation($i: CoverLetterInput!, $k: String) {"
    " createCoverLetter(input: $i, idempotencyKey: $k) { id status jobDescription cvText } }"
)
REGISTER = "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
MY_JOBS = "subscription { myJobs { id status companyName } }"


async def post(
    api: Api,
    query: str,
    variables: Json | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Json:
    """POST /graphql as a hostile client might: any header, any (even unpaired) string."""
    body = {"query": query, "variables": variables or {}}
    try:
        content = json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # lone surrogates travel as JSON \\u escapes
        content = json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    response = await api.http.post("/graphql", content=content, headers=sent)
    result: Json = response.json()
    return result


def code(result: Json) -> str:
    """The ``extensions.code`` of the first error (the test fails if there is none)."""
    assert result.get("errors"), f"expected an error, got {result}"
    return str(result["errors"][0]["extensions"]["code"])


def from_address(address: str) -> dict[str, str]:
    """Headers that make a request come from ``address`` (uvicorn trusts loopback proxies)."""
    return {"X-Forwarded-For": address}


async def rows(db: Db, table: str, where: str = "TRUE", **values: Any) -> int:
    count = await db.fetch_val(f"SELECT COUNT(*) FROM {table} WHERE {where}", values)
    return int(count)


async def user_id(api: Api, token: str) -> str:
    me: str = (await api.data("{ me { id } }", token=token))["me"]["id"]
    return me


async def assert_serves_an_honest_client(api: Api) -> None:
    """A new user can still sign up, write a job and read it back."""
    token = await api.register()
    job = await api.create_job(token)
    found = await api.job(token, job["id"])
    assert found is not None and found["id"] == job["id"]
