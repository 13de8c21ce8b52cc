"""Build the web client (``web/`` → ``web/dist``) with npm when it is missing or stale."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_INPUTS = ("package.json", "package-lock.json", "build.mjs", "tsconfig.json")
#: left by a failed npm step, so every start does not wait on an unreachable registry again
FAILED_MARK = ".build-failed"
#: the lines of a failed npm step's output shown (npm ends with its own log's path)
_OUTPUT_TAIL = 12


class WebBuildError(RuntimeError):
    """npm is missing or one of its steps failed; the message says which."""

    def __init__(self, message: str, *, npm_ran: bool = True) -> None:
        super().__init__(message)
        #: False when npm is not installed: nothing was tried, so nothing to remember
        self.npm_ran = npm_ran


def _sources(web: Path) -> Iterator[Path]:
    yield from (web / name for name in _INPUTS if (web / name).exists())
    yield from (path for path in (web / "src").rglob("*") if path.is_file())


def _changed_since(web: Path, stamp: Path) -> bool:
    when = stamp.stat().st_mtime
    return any(path.stat().st_mtime > when for path in _sources(web))


def needs_build(web: Path = WEB_DIR) -> bool:
    """True when ``dist/index.html`` is missing or older than a source file."""
    index = web / "dist" / "index.html"
    return not index.exists() or _changed_since(web, index)


def _needs_install(web: Path) -> bool:
    marker = web / "node_modules" / ".package-lock.json"
    lock = web / "package-lock.json"
    return not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime


def build_web(web: Path = WEB_DIR, *, out: TextIO | None = None) -> None:
    """``npm ci`` (when node_modules is missing or older than its lock), then ``npm run build``."""
    out = out or sys.stderr
    npm = shutil.which("npm")
    if npm is None:
        raise WebBuildError("npm is not installed", npm_ran=False)
    steps = [["ci", "--no-audit", "--no-fund"]] if _needs_install(web) else []
    for args in [*steps, ["run", "build"]]:
        print(f"careerops: running `npm {' '.join(args)}` in {web}", file=out, flush=True)
        result = subprocess.run(
            [npm, *args],
            cwd=web,
            check=False,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        if result.returncode != 0:
            # npm's stack of retries and traces buries the one line that says why
            tail = result.stdout.rstrip().splitlines()[-_OUTPUT_TAIL:]
            print("\n".join(tail), file=out)
            raise WebBuildError(f"`npm {' '.join(args)}` failed with exit code {result.returncode}")


def ensure_web_built(web: Path = WEB_DIR, *, out: TextIO | None = None) -> bool:
    """Build the web client if needed; on failure warn and carry on without it (False).

    A failed npm step is not tried again at every start (an offline machine waited a
    minute and more for the registry each time) until a file of ``web/`` changes.
    """
    out = out or sys.stderr
    failed = web / FAILED_MARK
    if not (web / "package.json").exists():
        return True
    if not needs_build(web):
        failed.unlink(missing_ok=True)
        return True
    if failed.exists() and not _changed_since(web, failed):
        reason = failed.read_text(encoding="utf-8").strip()
        print(
            f"careerops: warning: the web client's last build failed ({reason}) and web/ has"
            f" not changed since, so it is not tried again; build it with `cd web && npm ci"
            f" && npm run build`, or delete web/{FAILED_MARK}. The page at / and GraphiQL are"
            " unavailable; the API still works.",
            file=out,
        )
        return False
    print("careerops: building the web client (web/dist)…", file=out, flush=True)
    try:
        build_web(web, out=out)
    except WebBuildError as e:
        if e.npm_ran:
            failed.write_text(f"{e}\n", encoding="utf-8")
        print(
            f"careerops: warning: {e}; the page at / and GraphiQL are unavailable;"
            " the API still works.",
            file=out,
        )
        return False
    failed.unlink(missing_ok=True)
    return True
