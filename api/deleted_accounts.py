"""Sockets of accounts deleted through another API process, closed here too.

``deleteAccount`` closes the user's sockets on the process that served it; the others
only learn of it from the users table. Each process checks the users it holds sockets
for, one statement per 500, and closes the sockets of any that are gone with 4403
"Account deleted", as the deleting process did.
"""

import logging

from db import users
from db.connection import Db
from db.rounds import every
from resolvers.connections import ACCOUNT_DELETED, Connections

log = logging.getLogger(__name__)


async def close_sockets_of_deleted_accounts(connections: Connections, db: Db) -> int:
    """Close every socket here whose user no longer exists; returns how many users."""
    user_ids = connections.user_ids()
    existing = await users.existing_ids(db, user_ids)
    gone = [user_id for user_id in user_ids if user_id not in existing]
    for user_id in gone:
        await connections.close_user(user_id, ACCOUNT_DELETED)
    if gone:
        log.info("closed the sockets of %d deleted account(s)", len(gone))
    return len(gone)


async def run_deleted_account_checks(connections: Connections, db: Db, seconds: float) -> None:
    await every(
        seconds,
        lambda: close_sockets_of_deleted_accounts(connections, db),
        name="deleted-account check",
        wait_first=True,
    )
