import strawberry

from resolvers.context import Info
from resolvers.permissions import IsAuthenticated
from schema.types.user import User


@strawberry.field(permission_classes=[IsAuthenticated])
def me(info: Info) -> User:
    return User.from_record(info.context.require_user())
