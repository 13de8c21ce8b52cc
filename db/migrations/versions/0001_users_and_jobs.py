"""users and jobs

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from core.jobs import JobStatus

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_STATUSES = ", ".join(f"'{status.value}'" for status in JobStatus)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        _time("created_at"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tone", sa.String(16), nullable=False),
        sa.Column("job_description", sa.Text, nullable=False),
        sa.Column("cv_text", sa.Text, nullable=False),
        sa.Column("company_name", sa.Text),
        sa.Column("applicant_name", sa.Text),
        sa.Column("partial_text", sa.Text, nullable=False, server_default=""),
        sa.Column("cover_letter", sa.Text),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        # attempts at the last retryJob: the attempt budget counts from here
        sa.Column("attempts_base", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("idempotency_key", sa.String(200)),
        _time("available_at"),
        _time("lease_until", nullable=True),
        _time("published_at", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _time("completed_at", nullable=True),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="jobs_status_valid"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="jobs_progress_range"),
        sa.UniqueConstraint("user_id", "idempotency_key", name="jobs_user_idempotency_key"),
    )
    op.create_index("jobs_user_newest", "jobs", ["user_id", "created_at", "id"])
    op.create_index("jobs_status_available", "jobs", ["status", "available_at"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("users")
