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


class HasValidToken(BasePermission):
    """A verified token, its account not read: the resolver's own statement checks that the
    account still exists, and refuses as ``IsAuthenticated`` would if it does not."""

    message = "Authentication required."

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.caller_id()  # raises the precise reason (expired, invalid, deleted)
        return True
