from datetime import datetime

import strawberry

from db.users import UserRecord


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    created_at: datetime

    @classmethod
    def from_record(cls, record: UserRecord) -> "User":
        return cls(id=strawberry.ID(record.id), email=record.email, created_at=record.created_at)


@strawberry.type
class AuthPayload:
    token: str
    user: User
