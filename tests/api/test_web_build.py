"""``careerops dev`` builds the web client with npm, and does not wait on a failed build twice."""

import io
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from api.cli import _where
from api.webbuild import FAILED_MARK, ensure_web_built
from core.settings import Settings

# An npm that fails the way an offline machine's does: pages of retries, then why.
FAILING_NPM = """#!/bin/sh
echo "$@" >> "$NPM_CALLS"
for i in $(seq 1 40); do echo "npm verbose stack line $i"; done
echo "npm error request to http://registry/ failed, reason: connect ECONNREFUSED"
exit 1
"""
# An npm whose build writes what a real one would.
WORKING_NPM = """#!/bin/sh
echo "$@" >> "$NPM_CALLS"
if [ "$1" = run ]; then mkdir -p dist && echo '<!doctype html>' > dist/index.html; fi
"""


@pytest.fixture
def web(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "src" / "main.ts").write_text("export {};")
    (web / "package.json").write_text("{}")
    (web / "package-lock.json").write_text("{}")
    return web


def use_npm(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    npm = bin_dir / "npm"
    npm.write_text(script)
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "npm-calls"
    calls.write_text("")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("NPM_CALLS", str(calls))
    return calls


def build(web: Path) -> tuple[bool, str]:
    out = io.StringIO()
    built = ensure_web_built(web, out=out)
    return built, out.getvalue()


def touch_later(path: Path) -> None:
    later = path.stat().st_mtime + 10
    os.utime(path, (later, later))


def test_a_failed_build_says_why_in_a_few_lines_and_is_not_tried_again_until_web_changes(
    web: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = use_npm(FAILING_NPM, tmp_path, monkeypatch)

    first, first_output = build(web)
    second, second_output = build(web)

    assert (first, second) == (False, False)
    assert "ECONNREFUSED" in first_output and "stack line 1\n" not in first_output
    assert calls.read_text().splitlines() == ["ci --no-audit --no-fund"]  # once, not twice
    assert "not tried again" in second_output and f"web/{FAILED_MARK}" in second_output
    assert "exit code 1" in second_output

    touch_later(web / "src" / "main.ts")
    build(web)
    assert len(calls.read_text().splitlines()) == 2


def test_a_build_that_works_again_forgets_the_failure(
    web: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_npm(FAILING_NPM, tmp_path, monkeypatch)
    build(web)
    calls = use_npm(WORKING_NPM, tmp_path, monkeypatch)
    touch_later(web / "package.json")

    built, _ = build(web)

    assert built and (web / "dist" / "index.html").exists()
    assert calls.read_text().splitlines() == ["ci --no-audit --no-fund", "run build"]
    assert not (web / FAILED_MARK).exists()


def test_without_npm_nothing_is_remembered(
    web: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    built, output = build(web)

    assert not built and "npm is not installed" in output
    assert not (web / FAILED_MARK).exists()  # installing npm is enough to build next time


@pytest.mark.parametrize(
    ("graphiql", "web_built", "line"),
    [
        (
            None,
            True,
            "the web client at http://127.0.0.1:8000/, GraphiQL at http://127.0.0.1:8000/graphql",
        ),
        (
            False,
            True,
            "the web client at http://127.0.0.1:8000/, the GraphQL API at"
            " http://127.0.0.1:8000/graphql (no GraphiQL)",
        ),
        (
            None,
            False,
            "no web client (see above); the GraphQL API at http://127.0.0.1:8000/graphql",
        ),
    ],
)
def test_dev_names_only_the_pages_it_serves(
    graphiql: bool | None, web_built: bool, line: str
) -> None:
    settings = replace(Settings(graphiql=graphiql), host="127.0.0.1", port=8000).for_dev()

    assert _where(settings, web_built=web_built) == line
