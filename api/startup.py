"""A failed startup the lifespan has told in one line stays one line."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StartupFailureTold:
    """Starlette sends a failed startup with its traceback as the message, and uvicorn logs
    that message: after the lifespan's own line ("PostgreSQL at … not reachable after 2 s;
    the API stops") came the same error again in sixty frames. A failure the lifespan
    marked as told (``app.state.startup_failure_told``) goes without it; any other keeps
    its traceback, which is what an unforeseen failure needs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_untold(message: Message) -> None:
            told = getattr(scope["app"].state, "startup_failure_told", False)
            if message["type"] == "lifespan.startup.failed" and told:
                message = {**message, "message": ""}
            await send(message)

        await self.app(scope, receive, send_untold)
