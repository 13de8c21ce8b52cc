"""Build the web client (``web/`` → ``web/dist``) with npm when it is missing or stale."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_INPUTS = ("package.json", "package-lock.json", "build.mjs", "tsconfig.json")


class WebBuildError(RuntimeError):
    """npm is missing or one of its steps failed; the message says which."""


def _sources(web: Path) -> Iterator[Path]:
    yield from (web / name for name in _INPUTS if (web / name).exists())
    yield from (path for path in (web / "src").rglob("*") if path.is_file())


def needs_build(web: Path = WEB_DIR) -> bool:
    """True when ``dist/index.html`` is missing or older than a source file."""
    index = web / "dist" / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    return any(path.stat().st_mtime > built for path in _sources(web))


def _needs_install(web: Path) -> bool:
    marker = web / "node_modules" / ".package-lock.json"
    lock = web / "package-lock.json"
    return not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime


def build_web(web: Path = WEB_DIR, *, out: TextIO | None = None) -> None:
    """``npm ci`` (when node_modules is missing or older than its lock), then ``npm run build``."""
    out = out or sys.stderr
    npm = shutil.which("npm")
    if npm is None:
        raise WebBuildError("npm is not installed")
    steps = [["ci", "--no-audit", "--no-fund"]] if _needs_install(web) else []
    for args in [*steps, ["run", "build"]]:
        print(f"careerops: running `npm {' '.join(args)}` in {web}", file=out, flush=True)
        result = subprocess.run([npm, *args], cwd=web, check=False)
        if result.returncode != 0:
            raise WebBuildError(f"`npm {' '.join(args)}` failed with exit code {result.returncode}")


def ensure_web_built(web: Path = WEB_DIR, *, out: TextIO | None = None) -> bool:
    """Build the web client if needed; on failure warn and carry on without it (False)."""
    out = out or sys.stderr
    if not (web / "package.json").exists() or not needs_build(web):
        return True
    print("careerops: building the web client (web/dist)…", file=out, flush=True)
    try:
        build_web(web, out=out)
    except WebBuildError as e:
        print(
            f"careerops: warning: {e}; the page at / is unavailable; the API still works.",
            file=out,
        )
        return False
    return True
