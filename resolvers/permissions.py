from typing import Any

from strawberry.permission import BasePermission

from resolvers.context import Info


class IsAuthenticated(BasePermission):
    message = "Authentication required."

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises the precise reason (expired, invalid, deleted) with its code instead of a
        # bare False.
        await info.context.signed_in_user()
        return True
