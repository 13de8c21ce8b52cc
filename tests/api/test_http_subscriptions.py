"""Subscriptions are served over websockets; over plain HTTP they are refused, not run."""

import json

from tests.client import JOB_EVENTS, Api, refusal


async def test_a_subscription_sent_over_plain_http_is_refused_with_400(api: Api) -> None:
    token = await api.register()
    job = await api.create_job(token)
    variables = {"id": job["id"]}
    headers = {"Authorization": f"Bearer {token}"}

    posted = await api.http.post(
        "/graphql", json={"query": JOB_EVENTS, "variables": variables}, headers=headers
    )
    fetched = await api.http.get(
        "/graphql",
        params={"query": JOB_EVENTS, "variables": json.dumps(variables)},
        headers=headers,
    )

    # Before, it ran as a query and answered 200 with an INTERNAL error.
    assert refusal(posted) == (400, "subscriptions are not allowed when using POST")
    assert refusal(fetched) == (400, "subscriptions are not allowed when using GET")
