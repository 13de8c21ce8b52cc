"""Password hashing off the event loop.

argon2 is slow on purpose (50-200 ms of CPU a hash on this project's machines). On the
event loop, one sign-in stopped every socket of its API process for that long, and a
burst of them for seconds. argon2-cffi releases the GIL while it hashes, so threads of
its own take that off the loop: no more than there are cores, since more would only
queue for them, and at most four, since each holds argon2's 64 MiB while it works (a
container sees the host's cores).
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from core.auth import hash_password, verify_password

_HASHING = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="hashing")


async def password_matches(password_hash: str | None, password: str) -> bool:
    """``verify_password`` in a hashing thread (None checks against a dummy hash, so an
    unknown email takes as long as a wrong password)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_HASHING, verify_password, password_hash, password)


async def hashed_password(password: str) -> str:
    """``hash_password`` in a hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)
