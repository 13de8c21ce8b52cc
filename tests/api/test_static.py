"""The web client's HTTP side: the page, its headers, the assets, the 503 before a build."""

import os
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from api.static import graphiql_page, web_routes
from api.webbuild import needs_build


def client_for(dist: Path) -> httpx.AsyncClient:
    app = Starlette(routes=web_routes(dist))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>CareerOps</title>")
    (tmp_path / "assets" / "app.js").write_text("console.log('hi')")
    return tmp_path


async def test_the_page_is_served_with_security_headers(dist: Path) -> None:
    async with client_for(dist) as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert "<title>CareerOps</title>" in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self' ws://testserver wss://testserver;" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_an_odd_host_header_is_not_echoed_into_the_policy(dist: Path) -> None:
    async with client_for(dist) as client:
        response = await client.get("/", headers={"host": "evil; script-src *"})
    assert "evil" not in response.headers["content-security-policy"]


async def test_assets_are_served_and_unknown_ones_are_404(dist: Path) -> None:
    async with client_for(dist) as client:
        asset = await client.get("/assets/app.js")
        missing = await client.get("/assets/nope.js")
        escape = await client.get("/assets/../index.html")
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith("text/javascript")
    assert asset.headers["x-content-type-options"] == "nosniff"
    assert missing.status_code == 404
    assert escape.status_code == 404


async def test_without_a_build_the_page_says_how_to_make_one(tmp_path: Path) -> None:
    async with client_for(tmp_path / "dist") as client:
        page = await client.get("/")
        asset = await client.get("/assets/app.js")
    assert page.status_code == 503
    assert "npm ci" in page.text and "/graphql" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert asset.status_code == 404


def test_without_a_build_graphiql_says_how_to_make_one_and_loads_nothing_from_elsewhere(
    tmp_path: Path,
) -> None:
    # strawberry's own GraphiQL page loads its scripts from a CDN: offline it never appears
    request = Request({"type": "http", "method": "GET", "headers": [], "path": "/graphql"})

    page = graphiql_page(request, tmp_path)

    assert page.status_code == 503
    html = bytes(page.body).decode()
    assert "GraphiQL has not been built" in html and "npm ci" in html
    assert "<script" not in html and "https://" not in html
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_build_is_needed_when_missing_or_stale(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / "main.ts"
    source.write_text("export {};")
    assert needs_build(tmp_path)
    (tmp_path / "dist").mkdir()
    index = tmp_path / "dist" / "index.html"
    index.write_text("<!doctype html>")
    assert not needs_build(tmp_path)
    stamp = index.stat().st_mtime + 10
    os.utime(source, (stamp, stamp))
    assert needs_build(tmp_path)
