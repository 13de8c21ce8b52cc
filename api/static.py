"""The reference web client: ``web/dist`` served at ``/``, with strict security headers."""

import os
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.webbuild import WEB_DIR

WEB_DIST = WEB_DIR / "dist"

# A Host header is echoed into the CSP only when it is plainly a host[:port].
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")

_HOW_TO_BUILD = """<p>Build it once with
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>
(<code>careerops dev</code> does this for you), then reload this page.</p>
<p>The API works without it: send GraphQL requests to <code>/graphql</code> with POST, e.g.
<code>curl -H 'Content-Type: application/json' -d '{"query": "{ __typename }"}'
<var>this-server</var>/graphql</code>.</p>"""

NOT_BUILT = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Web client not built</title></head>
<body><main>
<h1>The web client has not been built</h1>
{_HOW_TO_BUILD}
</main></body></html>
"""

# GraphiQL is bundled with the web client (web/dist); strawberry's own page would load
# it from a CDN, which an offline machine cannot reach and our policy does not allow.
GRAPHIQL_NOT_BUILT = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL not built</title></head>
<body><main>
<h1>GraphiQL has not been built</h1>
<p>GraphiQL is bundled with the web client.</p>
{_HOW_TO_BUILD}
</main></body></html>
"""


def security_headers(request: Request, *, inline_styles: bool = False) -> dict[str, str]:
    """Headers for an HTML page: only its own scripts, styles and sockets, never framed."""
    host = request.headers.get("host", "")
    sockets = f" ws://{host} wss://{host}" if _HOST.match(host) else ""
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    policy = (
        f"default-src 'none'; script-src 'self'; style-src {styles}; img-src 'self' data:; "
        f"font-src 'self' data:; connect-src 'self'{sockets}; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
        # No other window keeps a handle on this one; no powerful features are wanted.
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }


class _Assets(StaticFiles):
    """``dist/assets``; it may be built after the server starts, so a missing folder is a 404."""

    async def check_config(self) -> None:
        return None

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        # Fixed file names: the browser revalidates (ETag) instead of keeping a stale bundle.
        response.headers.update({"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
        return response


def _page(request: Request, path: Path, *, inline_styles: bool = False) -> Response | None:
    try:
        html = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return HTMLResponse(html, headers=security_headers(request, inline_styles=inline_styles))


def web_routes(dist: Path = WEB_DIST) -> list[BaseRoute]:
    """``/`` (the page, or a 503 that says how to build it) and ``/assets``."""

    async def index(request: Request) -> Response:
        page = _page(request, dist / "index.html")
        if page is None:
            return HTMLResponse(NOT_BUILT, status_code=503, headers=security_headers(request))
        return page

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount("/assets", app=_Assets(directory=dist / "assets", check_dir=False), name="assets"),
    ]


def graphiql_page(request: Request, dist: Path = WEB_DIST) -> Response:
    """The bundled GraphiQL (no CDN), or a 503 that says how to build it."""
    # GraphiQL's editor sets inline styles; scripts stay 'self' only.
    page = _page(request, dist / "graphiql.html", inline_styles=True)
    if page is None:
        return HTMLResponse(GRAPHIQL_NOT_BUILT, status_code=503, headers=security_headers(request))
    return page
