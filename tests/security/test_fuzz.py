"""Any string of any size: createCoverLetter and register answer with a result or a client error.

Never INTERNAL: NUL characters (which Postgres text refuses), lone surrogates (which
no UTF-8 codec writes), sizes around every limit and enum values that do not exist
are all the client's mistakes, answered BAD_USER_INPUT with the field named.
"""

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.connection import Db
from tests.client import SAMPLE_INPUT, Api, Json
from tests.conftest import StartApi
from tests.security.probes import CREATE, REGISTER, post, rows

#: characters of every category, surrogates and controls included
ANY_CHARACTER = st.characters(exclude_categories=())
JOB, CV = SAMPLE_INPUT["jobDescription"], SAMPLE_INPUT["cvText"]
ODD_CHARACTERS = st.sampled_from(["x", " ", "\n", "\x00", "\ud800", "é", "😀", "\u202e", "'"])


def strings(limit: int, valid: str = "ok") -> st.SearchStrategy[str]:
    """Arbitrary text; one character repeated to a size around ``limit``; or a valid
    value with an odd character slipped in."""
    sizes = st.one_of(
        st.sampled_from([0, 1, limit - 1, limit, limit + 1]),
        st.integers(min_value=0, max_value=limit + 10),
    )
    repeated = st.builds(lambda char, size: char * size, ODD_CHARACTERS, sizes)
    spiked = st.builds(
        lambda char, at: valid[:at] + char + valid[at:],
        st.one_of(ODD_CHARACTERS, ANY_CHARACTER),
        st.integers(min_value=0, max_value=len(valid)),
    )
    return st.one_of(st.text(ANY_CHARACTER, max_size=64), repeated, spiked)


def or_valid(valid: str | None, hostile: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    # Often a field is fine, so the hostile ones reach past validation to the database.
    return st.one_of(st.just(valid), hostile)


VALID_INPUT: dict[str, str | None] = {
    "jobDescription": JOB,
    "cvText": CV,
    "tone": "FORMAL",
    "companyName": None,
    "applicantName": "Jordan Lee",
}
HOSTILE_FIELDS = {
    "jobDescription": strings(20_000, JOB),
    "cvText": strings(50_000, CV),
    "tone": st.text(max_size=12),
    "companyName": strings(200, "Acme"),
    "applicantName": strings(200, "Jordan Lee"),
}
#: mostly one hostile field among valid ones (so it reaches the database), else all hostile
COVER_LETTER_INPUTS = st.one_of(
    st.sampled_from(sorted(HOSTILE_FIELDS)).flatmap(
        lambda name: HOSTILE_FIELDS[name].map(lambda value: {**VALID_INPUT, name: value})
    ),
    st.fixed_dictionaries(
        {name: or_valid(VALID_INPUT[name], s) for name, s in HOSTILE_FIELDS.items()}
    ),
)
CLIENT_ERRORS = {"BAD_USER_INPUT", "RATE_LIMITED"}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def fuzzed(start_api: StartApi) -> tuple[Api, str]:
    api = await start_api(jobs_per_minute=1_000_000, max_active_jobs=0)
    return api, await api.register()


def _codes(result: Json) -> set[str]:
    """The errors' codes; a BAD_USER_INPUT names its field (null: the whole document's)."""
    errors = result.get("errors") or []
    for error in errors:
        extensions = error.get("extensions", {})
        if extensions.get("code") == "BAD_USER_INPUT":
            assert "field" in extensions, error
    return {str(error.get("extensions", {}).get("code")) for error in errors}


@FUZZ
@given(data=COVER_LETTER_INPUTS, key=or_valid(None, strings(200)))
async def test_create_cover_letter_answers_a_job_or_a_client_error(
    fuzzed: tuple[Api, str], db: Db, data: dict[str, Any], key: str | None
) -> None:
    api, token = fuzzed
    before = await rows(db, "jobs")

    result = await post(api, CREATE, {"i": data, "k": key}, token=token)

    if result.get("errors"):
        # CONFLICT: hypothesis may well send a key again with another request.
        assert _codes(result) <= CLIENT_ERRORS | {"CONFLICT"}, result["errors"]
        assert result.get("data") is None
        assert await rows(db, "jobs") == before
        return
    job = result["data"]["createCoverLetter"]
    assert job["status"] == "PENDING"
    # a new job, or the one a repeat of this very request made
    assert (job["jobDescription"], job["cvText"]) == (data["jobDescription"], data["cvText"])


@FUZZ
@given(
    email=or_valid("someone@example.com", strings(320, "someone@example.com")),
    password=or_valid("correct horse 1", strings(1024, "correct horse 1")),
)
async def test_register_answers_a_token_or_a_client_error(
    fuzzed: tuple[Api, str], db: Db, email: str, password: str
) -> None:
    api, _ = fuzzed
    before = await rows(db, "users")

    result = await post(api, REGISTER, {"e": email, "p": password})

    if result.get("errors"):
        # CONFLICT: hypothesis may well try the same valid address twice.
        assert _codes(result) <= CLIENT_ERRORS | {"CONFLICT"}, result["errors"]
        assert await rows(db, "users") == before
        return
    token = result["data"]["register"]["token"]
    me = await api.data("{ me { email } }", token=token)
    # Stored in one form (trimmed, lower-case, NFC, the domain as IDNA writes it: a micro
    # sign becomes a Greek mu): the address as typed signs in to it.
    assert me["me"]["email"] == email.strip().lower() or not email.isascii()
    login = (
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { email } } }"
    )
    signed_in = await api.data(login, {"e": email, "p": password})
    assert signed_in["login"]["user"]["email"] == me["me"]["email"]


@FUZZ
@given(
    first=st.one_of(st.integers(0, 100), st.integers(min_value=-(2**40), max_value=2**40)),
    after=st.one_of(
        st.none(),
        st.text(ANY_CHARACTER, max_size=80),
        st.binary(max_size=80).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
        st.one_of(ODD_CHARACTERS, st.text(ANY_CHARACTER, max_size=40)).map(
            lambda tail: base64.urlsafe_b64encode(
                f"2026-01-01T00:00:00+00:00|{tail}".encode("utf-8", "surrogatepass")
            ).decode()
        ),
    ),
)
async def test_jobs_pagination_answers_a_page_or_a_client_error(
    fuzzed: tuple[Api, str], first: int, after: str | None
) -> None:
    api, token = fuzzed
    query = "query($f: Int!, $a: String) { jobs(first: $f, after: $a) { totalCount } }"

    result = await post(api, query, {"f": first, "a": after}, token=token)

    if result.get("errors"):
        assert _codes(result) == {"BAD_USER_INPUT"}, result["errors"]
    else:
        assert result["data"]["jobs"]["totalCount"] >= 0


#: a query a client might be typing, cut anywhere or with a stray character slipped in (no
#: query at all is not a GraphQL request: strawberry answers it 400)
TYPED_QUERY = "query($f: Int!) { jobs(first: $f, status: PENDING) { edges { node { id tone } } } }"
QUERIES_BEING_TYPED = st.one_of(
    st.integers(1, len(TYPED_QUERY)).map(lambda end: TYPED_QUERY[:end]),
    st.builds(
        lambda char, at: TYPED_QUERY[:at] + char + TYPED_QUERY[at:],
        st.one_of(st.sampled_from(list('{}()[]:$!"#@.,=|&')), ANY_CHARACTER),
        st.integers(0, len(TYPED_QUERY)),
    ),
)


@FUZZ
@given(query=QUERIES_BEING_TYPED)
async def test_any_document_answers_json_with_data_or_a_client_error(
    fuzzed: tuple[Api, str], query: str
) -> None:
    api, token = fuzzed

    result = await post(api, query, {"f": 1}, token=token)

    if result.get("errors"):
        assert _codes(result) == {"BAD_USER_INPUT"}, result["errors"]
    else:
        assert result["data"]["jobs"]["edges"] == []
