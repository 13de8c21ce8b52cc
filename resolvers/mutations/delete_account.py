import strawberry

from core.errors import Forbidden, Unauthenticated
from core.hashing import password_matches
from db import erasure
from resolvers.connections import ACCOUNT_DELETED
from resolvers.context import Info
from resolvers.limits import client_address
from resolvers.mutations.cancel_job import cancel
from resolvers.permissions import IsAuthenticated


@strawberry.mutation(
    permission_classes=[IsAuthenticated],
    description=(
        "Erases the caller's account and every job of theirs (running ones are cancelled"
        " first). Asks for the password again, so a stolen token alone cannot erase an account."
    ),
)
async def delete_account(info: Info, password: str) -> bool:
    context = info.context
    user = context.require_user()
    address = client_address(context.request)
    # Same throttle as login: otherwise this would be a password oracle without one.
    with context.limits.sign_in_attempt(user.email, address) as attempt:
        if await password_matches(user.password_hash, password):
            attempt.passed()
    if attempt.counts:
        raise Forbidden("The password is not correct.")
    for job_id in await erasure.active_job_ids(context.db, user.id):
        # Stops the worker at its next flush and ends the job's open subscriptions.
        await cancel(info, job_id)
    await erasure.delete_user_and_jobs(context.db, user.id)
    await context.limits.connections.close_user(user.id, ACCOUNT_DELETED, keep=context.request)
    # A websocket's context outlives this operation: the next one on it must find no user,
    # and the socket that asked is closed as the others were, once it has its answer.
    context.user, context.claims = None, None
    context.auth_error = Unauthenticated("Account deleted.")
    context.close_after_reply = ACCOUNT_DELETED
    return True
