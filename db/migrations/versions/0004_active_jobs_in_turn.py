"""a count of a user's active jobs that waits its turn, for the INSERT of a new job

Revision ID: 0004
Revises: 0003

Under an active-jobs limit two requests of one user must not both count before either
inserts. That took a transaction of its own around every new job's INSERT, under an
advisory lock on the user: BEGIN, the lock and COMMIT, three round trips more per job.
This function takes the same lock from inside the INSERT, which is then its own
transaction and holds the lock to its commit, and counts on a snapshot taken after the
lock: each statement of a VOLATILE PL/pgSQL function takes its own snapshot in READ
COMMITTED, where the INSERT's own was taken before it waited. ``retryJob`` still
counts inside a transaction under the lock of the same name.
"""

from alembic import op

from db.jobs import ACTIVE_JOBS_LOCK, ACTIVE_PREDICATE

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer at a time: its INSERT counts inline
    op.execute(
        f"""
        CREATE FUNCTION active_jobs_in_turn(owner text) RETURNS bigint
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtextextended('{ACTIVE_JOBS_LOCK}' || owner, 0));
            RETURN (SELECT COUNT(*) FROM jobs WHERE user_id = owner AND {ACTIVE_PREDICATE});
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION active_jobs_in_turn(text)")
