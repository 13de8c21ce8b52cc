"""The bare polling baseline: Starlette, one asyncpg SELECT of the job row, JSON out.

``python -m bench.baselines.json_endpoint --port P`` with CAREEROPS_DATABASE_URL.
"""

import argparse
import contextlib
import os
from collections.abc import AsyncIterator

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

COLUMNS = {
    "id": "id",
    "status": "status",
    "tone": "tone",
    "companyName": "company_name",
    "applicantName": "applicant_name",
    "coverLetter": "cover_letter",
    "partialText": "partial_text",
    "progress": "progress",
    "error": "error",
    "attempts": "attempts",
    "seq": "seq",
    "createdAt": "created_at",
}
SELECT = f"SELECT {', '.join(COLUMNS.values())} FROM jobs WHERE id = $1"
pool: asyncpg.Pool | None = None


async def job(request: Request) -> JSONResponse:
    assert pool is not None
    row = await pool.fetchrow(SELECT, request.path_params["id"])
    if row is None:
        return JSONResponse({"data": {"job": None}})
    data = {name: row[column] for name, column in COLUMNS.items()}
    data["createdAt"] = data["createdAt"].isoformat()
    return JSONResponse({"data": {"job": data}})


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["CAREEROPS_DATABASE_URL"], min_size=1, max_size=10)
    yield
    await pool.close()


app = Starlette(routes=[Route("/healthz", healthz), Route("/jobs/{id}", job)], lifespan=lifespan)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    uvicorn.run(app, host="127.0.0.1", port=parser.parse_args().port, log_level="warning")
