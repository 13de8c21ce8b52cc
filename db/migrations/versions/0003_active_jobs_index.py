"""an index of each user's unfinished jobs

Revision ID: 0003
Revises: 0002

``createCoverLetter`` counts the caller's PENDING and PROCESSING jobs on every call.
Without this index PostgreSQL answered from ``jobs_user_newest`` and read every job
the user ever had: a count grew from 0.5 to 2.6 ms over a minute of benchmark load.
"""

import sqlalchemy as sa
from alembic import op

from db.jobs import ACTIVE_PREDICATE

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    predicate = sa.text(ACTIVE_PREDICATE)
    op.create_index(
        "jobs_user_active",
        "jobs",
        ["user_id"],
        postgresql_where=predicate,
        sqlite_where=predicate,
    )


def downgrade() -> None:
    op.drop_index("jobs_user_active", "jobs")
