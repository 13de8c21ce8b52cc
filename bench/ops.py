"""The GraphQL operations the bench sends (the web client's own), and a few setup helpers."""

import json
import uuid

import asyncpg
import httpx

JOB_FIELDS = (
    "id status tone companyName applicantName coverLetter partialText progress error attempts"
    " seq createdAt"
)
CREATE = "mutation ($input: CoverLetterInput!) { createCoverLetter(input: $input) { id seq } }"
JOB = f"query ($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} }} }}"
MY_JOBS = "subscription { myJobs { id status seq } }"
JOB_EVENTS = (
    "subscription ($id: ID!) {"
    " jobEvents(jobId: $id) { seq type status attempt progress delta text error at } }"
)
SAMPLE_INPUT = {
    "jobDescription": (
        "Senior Data Engineer at Acme Analytics. You will build batch and streaming pipelines "
        "in Python and SQL, orchestrate them with Airflow, and model data in PostgreSQL."
    ),
    "cvText": (
        "Data engineer with 6 years of experience. Built Airflow pipelines in Python and SQL "
        "on PostgreSQL, streamed events through Kafka, and mentored two junior engineers."
    ),
    "tone": "PROFESSIONAL",
    "companyName": "Acme Analytics",
    "applicantName": "Jordan Lee",
}
CREATE_BODY = json.dumps({"query": CREATE, "variables": {"input": SAMPLE_INPUT}}).encode()


def auth_header(token: str) -> bytes:
    return f"Authorization: Bearer {token}\r\n".encode()


async def register(base_url: str) -> str:
    """A new user's token, through the real mutation."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/graphql",
            json={
                "query": "mutation ($e: String!, $p: String!) {"
                " register(email: $e, password: $p) { token } }",
                "variables": {"e": f"bench-{uuid.uuid4().hex[:10]}@example.com", "p": "bench pw 1"},
            },
        )
    token: str = response.json()["data"]["register"]["token"]
    return token


async def create_job(base_url: str, token: str) -> tuple[str, int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/graphql",
            content=CREATE_BODY,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    job = response.json()["data"]["createCoverLetter"]
    return job["id"], int(job["seq"])


async def insert_idle_jobs(database_url: str, user_id: str, count: int) -> list[str]:
    """``count`` PENDING jobs of ``user_id`` that nobody works on (no worker runs then)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "INSERT INTO jobs (id, user_id, kind, status, tone, job_description, cv_text,"
            " available_at, published_at, created_at, updated_at)"
            " SELECT gen_random_uuid()::text, $1, 'cover_letter', 'PENDING', 'PROFESSIONAL',"
            " 'idle', 'idle', now(), now(), now(), now() FROM generate_series(1, $2)"
            " RETURNING id",
            user_id,
            count,
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


async def user_id_of(database_url: str, token: str) -> str:
    import jwt

    subject: str = jwt.decode(token, options={"verify_signature": False})["sub"]
    return subject
