from typing import Any

from strawberry.permission import BasePermission

from resolvers.context import Info


class IsAuthenticated(BasePermission):
    message = "Authentication required."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises the precise reason (expired, invalid) with its code instead of a bare False.
        info.context.require_user()
        return True
