"""Lookups by a list of ids answer for any number of them, a statement per 500."""

import uuid

from core.jobs import JobKind
from db import jobs, users
from db.connection import IN_LIST_MAX, Db
from db.jobs import NewJob


async def test_lookups_by_id_find_the_rows_among_more_ids_than_one_statement_takes(
    db: Db,
) -> None:
    user = await users.insert_user(db, email="lists@example.com", password_hash="x")
    assert user is not None
    inserted = await jobs.insert_job(
        db, NewJob(user.id, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    )
    assert inserted is not None
    job, _ = inserted
    unknown = [str(uuid.uuid4()) for _ in range(2 * IN_LIST_MAX + 1)]
    # The known ids sit in the first and the last statement's share.
    user_ids = [user.id, *unknown, user.id]
    job_ids = [*unknown, job.id]

    assert await users.existing_ids(db, user_ids) == {user.id}
    assert await jobs.seqs_of(db, job_ids) == {job.id: job.seq}
    assert await users.existing_ids(db, []) == set()
    assert await jobs.seqs_of(db, []) == {}
