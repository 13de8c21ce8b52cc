"""What each HTTP method may ask for: GraphQL over HTTP refuses a mutation over GET with 405."""

import pytest

from tests.client import Api, refusal

REGISTER = 'mutation { register(email: "%s", password: "long enough") { token } }'


async def test_a_mutation_sent_with_get_is_refused_with_405_and_not_run(api: Api) -> None:
    email = "over-get@example.com"

    refused = await api.http.get("/graphql", params={"query": REGISTER % email})
    registered = await api.execute(REGISTER % email)

    assert refused.headers["allow"] == "POST"
    assert refusal(refused) == (405, "mutations are not allowed when using GET")
    assert "errors" not in registered, "the GET created no account"


async def test_a_query_sent_with_get_is_answered(api: Api) -> None:
    token = await api.register()

    answered = await api.http.get(
        "/graphql",
        params={"query": "{ me { email } }"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answered.status_code == 200
    assert answered.json()["data"]["me"]["email"].endswith("@example.com")


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_get_405_naming_the_two_graphql_answers(api: Api, method: str) -> None:
    refused = await api.http.request(method, "/graphql")

    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "POST"}
    if method != "HEAD":  # a HEAD answer has no body
        assert refusal(refused) == (
            405,
            f"{method} is not a GraphQL request: send POST, or GET for a query.",
        )
