"""The reference web client in a real headless Chromium, on the embedded stack."""

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.async_api import (
    Browser,
    Page,
    Request,
    Route,
    WebSocket,
    WebSocketRoute,
    expect,
)
from playwright.async_api import Error as PlaywrightError
from websockets.exceptions import ConnectionClosed

from tests.client import Api, Socket
from tests.conftest import StartApi, StartWorker
from tests.web.conftest import CHROMIUM, StartSite
from tests.web.pages import (
    GRAPHIQL_HEADERS,
    PASSWORD,
    Tab,
    ask_for_a_letter,
    assert_grows,
    fill_form,
    letter_text,
    open_graphiql,
    open_tab,
    sign_up,
    signed_up_tab,
    start_recording,
    submit,
    wait_for_status,
    wait_for_text,
)
from tests.web.proxy import stalling_proxy
from tests.web.writers import RefusingWriter, RetriesOnceWriter

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NO_SUCH_JOB = "00000000-0000-4000-8000-000000000000"
ERASED_ELSEWHERE = "This letter was deleted in another tab or window, or through the API."

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: run scripts/install-browser.sh"
    ),
    pytest.mark.parametrize("stack", ["embedded"], indirect=True),
]


async def final_letter(api: Api, tab: Tab, job_id: str) -> str:
    job = await api.job(await tab.token(), job_id)
    assert job is not None and job["status"] == "COMPLETED", job
    return str(job["coverLetter"])


async def test_the_letter_grows_on_screen(browser: Browser, start_site: StartSite) -> None:
    api = await start_site()
    tab = await open_tab(browser, api.base_url, permissions=["clipboard-read", "clipboard-write"])
    await sign_up(tab)
    job_id = await ask_for_a_letter(tab.page)
    await start_recording(tab.page)
    await wait_for_status(tab.page, "COMPLETED")

    texts = assert_grows(await tab.samples())
    assert len(texts) >= 3, texts
    letter = await final_letter(api, tab, job_id)
    assert await letter_text(tab.page) == letter
    await expect(tab.page.get_by_test_id("progress")).to_have_text("100%")
    await expect(tab.page.get_by_test_id("attempt")).to_have_text("Attempt 1")
    ARTIFACTS.mkdir(exist_ok=True)
    await tab.page.screenshot(path=ARTIFACTS / "job-view.png", full_page=True)

    await tab.page.get_by_role("button", name="Copy", exact=True).click()
    await expect(tab.page.get_by_text("Copied to clipboard.")).to_be_visible()
    assert await tab.page.evaluate("navigator.clipboard.readText()") == letter
    async with tab.page.expect_download() as download_info:
        await tab.page.get_by_role("button", name="Download .txt").click()
    download = await download_info.value
    assert download.suggested_filename == "cover-letter-acme-analytics.txt"
    saved = Path(await download.path())
    assert await asyncio.to_thread(saved.read_text, encoding="utf-8") == letter
    tab.assert_clean()


async def test_the_form_shows_and_enforces_the_limits(
    browser: Browser, start_site: StartSite, tmp_path: Path
) -> None:
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await page.get_by_role("button", name="Write my letter").click()
    await expect(page.get_by_text("This field is required.")).to_have_count(2)
    await expect(page.get_by_label("Job description")).to_be_focused()

    company = page.get_by_label("Company", exact=True)
    await company.press_sequentially("x" * 205, delay=0)
    assert len(await company.input_value()) == 200
    await expect(page.locator("#companyName-count")).to_have_text("200 / 200")
    await expect(page.get_by_text("Limit reached: 200 characters.")).to_be_visible()
    await expect(page.locator("#jobDescription-count")).to_have_text("0 / 20,000")
    await expect(page.locator("#cvText-count")).to_have_text("0 / 50,000")

    cv = tmp_path / "cv.md"
    cv.write_text("# Jordan Lee\n\nData engineer: Python, SQL, Airflow.\n", encoding="utf-8")
    await page.get_by_label("Load CV from a file").set_input_files(cv)
    await expect(page.get_by_label("Your CV", exact=True)).to_have_value(cv.read_text())
    await page.get_by_label("Job description").fill("Data engineer at Initech. Python and SQL.")
    await company.fill("Initech")
    job_id = await submit(page)
    await wait_for_status(page, "COMPLETED")
    job = await api.job(await tab.token(), job_id)
    assert job is not None
    assert await letter_text(page) == job["coverLetter"]
    assert "Initech" in job["coverLetter"]
    tab.assert_clean()


async def refuse(ws: WebSocketRoute) -> None:
    """What a proxy that refuses websockets looks like to the page: the socket closes at once."""
    await ws.close(code=1013, reason="blocked for this test")


async def test_blocked_websockets_fall_back_to_polling(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=200)
    tab = await open_tab(browser, api.base_url)
    await tab.context.route_web_socket("**/graphql", refuse)
    await sign_up(tab)
    job_id = await ask_for_a_letter(tab.page)
    await start_recording(tab.page)
    await expect(tab.page.get_by_test_id("live-note")).to_have_text(
        "Live updates unavailable — refreshing every second"
    )
    await wait_for_status(tab.page, "COMPLETED")

    samples = await tab.samples()
    polled = assert_grows([sample for sample in samples if sample["polling"]])
    assert len(polled) >= 2, polled
    assert await letter_text(tab.page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


# 1011 is what the server closes an unresponsive socket with, and graphql-ws gives up on it
# for good: the page polled to the end of the letter and never went live again.
@pytest.mark.parametrize("close_code", [1013, 1011])
async def test_a_dropped_socket_polls_then_goes_live_again(
    browser: Browser, start_site: StartSite, close_code: int
) -> None:
    api = await start_site(pace_ms=400)
    tab = await open_tab(browser, api.base_url)
    blocked = False
    open_sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    async def proxy(ws: WebSocketRoute) -> None:
        if blocked:
            await refuse(ws)
        else:
            open_sockets.append((ws, ws.connect_to_server()))

    await tab.context.route_web_socket("**/graphql", proxy)
    await sign_up(tab)
    job_id = await ask_for_a_letter(tab.page)
    await start_recording(tab.page)
    await wait_for_text(tab.page, 40)
    blocked = True
    for page_side, server_side in open_sockets:
        await server_side.close()
        await page_side.close(code=close_code, reason="dropped for this test")
    note = tab.page.get_by_test_id("live-note")
    await expect(note).to_be_visible()
    blocked = False
    await expect(note).to_be_hidden()
    await wait_for_status(tab.page, "COMPLETED")

    samples = await tab.samples()
    assert_grows(samples)  # across the drop, the polling and the new SNAPSHOT
    first_polled = next(i for i, sample in enumerate(samples) if sample["polling"])
    assert any(
        not sample["polling"] and sample["status"] == "PROCESSING"
        for sample in samples[first_polled:]
    ), "the page never went back to the live subscription before the letter was done"
    assert await letter_text(tab.page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


async def test_cancel_then_retry(browser: Browser, start_site: StartSite) -> None:
    api = await start_site(pace_ms=150)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    job_id = await ask_for_a_letter(page)
    await wait_for_text(page, 60)
    await page.get_by_role("button", name="Cancel", exact=True).click()
    await wait_for_status(page, "CANCELLED")
    cancelled = await api.job(await tab.token(), job_id)
    assert cancelled is not None and cancelled["partialText"]
    await expect(page.get_by_test_id("letter")).to_have_text(cancelled["partialText"])
    history_row = page.locator(f"[data-job-id='{job_id}']")
    await expect(history_row).to_contain_text("Cancelled")

    await start_recording(page)
    await page.get_by_role("button", name="Retry", exact=True).click()
    await wait_for_status(page, "COMPLETED")
    await expect(page.get_by_test_id("attempt")).to_have_text("Attempt 2")

    samples = await tab.samples()
    after_retry = samples[next(i for i, s in enumerate(samples) if s["status"] != "CANCELLED") :]
    assert any(s["text"] == "" for s in after_retry), "the new attempt must start from empty"
    second = [s for s in after_retry if s["attempt"] == "Attempt 2"]
    texts = assert_grows(second)
    assert len(texts) >= 3, texts
    assert await letter_text(page) == await final_letter(api, tab, job_id)
    await expect(history_row).to_contain_text("Completed")
    tab.assert_clean()


async def test_a_reload_reattaches_to_the_running_job(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=150)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    job_id = await ask_for_a_letter(page)
    before = await wait_for_text(page, 200)
    await wait_for_status(page, "PROCESSING")

    await page.reload()
    assert page.url.endswith(f"#/jobs/{job_id}")
    after = await wait_for_text(page, len(before))
    assert after.startswith(before), (before, after)
    await start_recording(page)
    await wait_for_status(page, "COMPLETED")
    assert_grows(await tab.samples())
    assert await letter_text(page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


async def test_two_users_never_see_each_others_jobs(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=10)
    alice, bob = await open_tab(browser, api.base_url), await open_tab(browser, api.base_url)
    await sign_up(alice)
    await sign_up(bob)
    await fill_form(alice.page, companyName="Alice Corp")
    alice_job = await submit(alice.page)
    await fill_form(bob.page, companyName="Bob Industries")
    bob_job = await submit(bob.page)
    for tab in (alice, bob):
        await wait_for_status(tab.page, "COMPLETED")

    for tab, mine, theirs in ((alice, alice_job, bob_job), (bob, bob_job, alice_job)):
        rows = tab.page.locator("[data-testid=history] li")
        await expect(rows).to_have_count(1)
        assert await rows.get_attribute("data-job-id") == mine
        await tab.page.goto(f"/#/jobs/{theirs}")
        await expect(tab.page.get_by_role("heading", level=1)).to_have_text("Letter not found")
        await expect(tab.page.get_by_test_id("letter")).to_have_text("")
    await expect(alice.page.get_by_test_id("history")).not_to_contain_text("Bob Industries")
    await expect(bob.page.get_by_test_id("history")).not_to_contain_text("Alice Corp")
    alice.assert_clean()
    bob.assert_clean()


async def test_graphiql_runs_a_query_and_a_subscription(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    email = "graphiql@example.com"
    token = await api.register(email)
    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "COMPLETED")
    tab = await open_tab(browser, api.base_url)
    page = tab.page

    await open_graphiql(page, "query Me { me { email } }", token)
    await page.locator(".graphiql-execute-button").click()
    await expect(page.locator(".graphiql-response")).to_contain_text(email)

    subscription = f'subscription {{ jobEvents(jobId: "{job["id"]}") {{ type status }} }}'
    await open_graphiql(page, subscription, token)
    await page.locator(".graphiql-execute-button").click()
    await expect(page.locator(".graphiql-response")).to_contain_text("SNAPSHOT")
    await expect(page.locator(".graphiql-response")).to_contain_text("COMPLETED")
    tab.assert_clean()


async def test_a_user_at_the_socket_limit_stays_signed_in_and_goes_live_when_one_frees(
    browser: Browser, start_site: StartSite
) -> None:
    # The server refuses the page's socket with 1013 (try again later), not 4403, which
    # the page takes for a refused token and signs its user out.
    api = await start_site(pace_ms=400, max_connections_per_user=1)
    tab = await open_tab(browser, api.base_url)
    email = await sign_up(tab)
    token = await tab.token()
    await tab.page.goto("about:blank")  # its socket goes, and with it the user's one slot
    async with _socket_taking_the_slot(api, token):
        await tab.page.goto("/")
        await expect(tab.page.get_by_test_id("who")).to_have_text(email)
        await fill_form(tab.page)
        job_id = await submit(tab.page)
        note = tab.page.get_by_test_id("live-note")
        await expect(note).to_be_visible()
    await expect(note).to_be_hidden()  # the page's next try gets the freed slot
    await wait_for_status(tab.page, "COMPLETED")

    await expect(tab.page.get_by_test_id("who")).to_have_text(email)
    assert await letter_text(tab.page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


@asynccontextmanager
async def _socket_taking_the_slot(api: Api, token: str) -> AsyncIterator[Socket]:
    """A signed-in socket of the user, once the server has let the page's old one go."""
    for _ in range(50):
        async with api.socket(token) as socket:
            try:
                await socket.ack()
            except ConnectionClosed:
                await asyncio.sleep(0.1)
                continue
            yield socket
            return
    raise AssertionError("the page's old socket kept the user's slot")


async def delete_job(api: Api, token: str, job_id: str) -> None:
    """Deleted elsewhere: by another tab, device or script, not by the page under test."""
    data = await api.data("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job_id}, token)
    assert data["deleteJob"] is True


# deleteJob cancels, then erases the row: live, the stream ends CANCELLED (as a cancel's
# would) and only the `job` query tells; polling, that query answers null.
@pytest.mark.parametrize("sockets", ["open", "blocked"])
async def test_a_letter_deleted_elsewhere_leaves_the_open_page(
    browser: Browser, start_site: StartSite, sockets: str
) -> None:
    api = await start_site(pace_ms=150)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    if sockets == "blocked":
        await tab.context.route_web_socket("**/graphql", refuse)
    await sign_up(tab)
    job_id = await ask_for_a_letter(page)
    await wait_for_text(page, 40)
    await expect(page.get_by_test_id("live-note")).to_be_visible(visible=sockets == "blocked")

    await delete_job(api, await tab.token(), job_id)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Letter deleted")
    await expect(page.get_by_text(ERASED_ELSEWHERE)).to_be_visible()
    await expect(page.locator("[data-testid=history] li")).to_have_count(0)
    for part in ("letter", "status", "progress", "live-note"):
        await expect(page.get_by_test_id(part)).to_be_hidden()
    tab.assert_clean()


async def test_a_finished_letter_deleted_elsewhere_leaves_the_page_once_it_is_looked_at(
    browser: Browser, start_site: StartSite
) -> None:
    # A finished letter's deletion sends no event: the page showed it, Copy and all.
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    job_id = await ask_for_a_letter(page)
    await wait_for_status(page, "COMPLETED")
    await delete_job(api, await tab.token(), job_id)

    # The user comes back to the tab (from another tab or window).
    await page.evaluate("window.dispatchEvent(new Event('focus'))")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Letter deleted")
    await expect(page.get_by_text(ERASED_ELSEWHERE)).to_be_visible()
    await expect(page.locator("[data-testid=history] li")).to_have_count(0)
    await expect(page.get_by_role("button", name="Copy")).to_be_hidden()
    tab.assert_clean()


async def test_a_not_found_answer_to_retry_drops_the_letter(
    browser: Browser, start_api: StartApi, start_worker: StartWorker
) -> None:
    # A FAILED letter deleted elsewhere gets no event at all: Retry's answer is the first news.
    api = await start_api()
    await start_worker(RefusingWriter())
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    token = await tab.token()
    listed = await api.create_job(token, companyName="Listed Ltd")
    opened = await api.create_job(token, companyName="Opened Inc")
    for job in (listed, opened):
        await api.wait_for_status(token, job["id"], "FAILED")
    await page.goto(f"/#/jobs/{opened['id']}")
    await wait_for_status(page, "FAILED")
    rows = page.locator("[data-testid=history] li")
    await expect(rows).to_have_count(2)
    for job in (listed, opened):
        await delete_job(api, token, job["id"])

    await page.get_by_role("button", name="Retry: Letter for Listed Ltd").click()
    await expect(page.locator(".history-panel")).to_contain_text(ERASED_ELSEWHERE)
    await expect(rows).to_have_count(1)
    await page.get_by_role("button", name="Retry", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Letter deleted")
    await expect(rows).to_have_count(0)
    tab.assert_clean()


async def test_a_letter_waiting_for_its_retry_says_why_and_when(
    browser: Browser, start_api: StartApi, start_worker: StartWorker
) -> None:
    # The server's words ("Will retry in 5 s, at 2026-12-01T18:44:32Z.") were shown as
    # they came: a UTC timestamp, and a countdown that never moved.
    writer = RetriesOnceWriter(after=5)
    api = await start_api()
    await start_worker(writer)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await ask_for_a_letter(page)
    note = page.get_by_test_id("retry-note")
    await expect(note).to_have_text(
        re.compile(r"^The writer timed out\. Trying again at [\d:]+\s[AP]M\. \(in \d seconds?\)$")
    )
    countdown = page.get_by_test_id("retry-countdown")
    first = await countdown.text_content()
    await expect(countdown).not_to_have_text(first or "")  # it counts down
    await expect(page.get_by_test_id("status")).to_have_attribute("data-status", "PENDING")
    await expect(page.get_by_test_id("letter")).to_have_text("")

    await wait_for_status(page, "PROCESSING")
    await expect(page.get_by_test_id("attempt")).to_have_text("Attempt 2")
    await expect(note).to_be_hidden()
    writer.second_attempt.set()
    await wait_for_status(page, "COMPLETED")
    await expect(note).to_be_hidden()
    tab.assert_clean()


async def test_a_link_cannot_choose_graphiqls_headers(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    attacker = "attacker@example.com"
    planted = json.dumps({"Authorization": f"Bearer {await api.register(attacker)}"})
    tab = await open_tab(browser, api.base_url)
    page = tab.page

    await page.goto("/graphql?" + urlencode({"q": "query Me { me { email } }", "headers": planted}))
    await expect(page.locator(GRAPHIQL_HEADERS)).to_contain_text("Bearer <token>")
    await page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response")
    await expect(response).to_contain_text("UNAUTHENTICATED")
    await expect(response).not_to_contain_text(attacker)
    tab.assert_clean()


async def test_graphiql_gives_up_at_once_on_a_refused_token(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    # The Headers tab's own placeholder, as a first-time user runs it.
    subscription = f'subscription {{ jobEvents(jobId: "{NO_SUCH_JOB}") {{ seq }} }}'
    await page.goto("/graphql?" + urlencode({"q": subscription}))
    await page.locator(".graphiql-execute-button").click()

    response = page.locator(".graphiql-response")
    # graphql-ws alone retried a 4403 five times with backoff: about 40 s of spinner.
    await expect(response).to_contain_text("4403 Invalid token", timeout=5_000)
    await expect(response).to_contain_text("Put a valid token in the Headers tab")
    await expect(response).not_to_contain_text("stack")
    assert len(sockets) == 1, sockets
    tab.assert_clean()


async def test_graphiql_starter_document_signs_up_then_writes_a_letter(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    await tab.page.goto("/graphql")
    editor = ".graphiql-query-editor .CodeMirror"
    await tab.page.wait_for_selector(editor)
    document = await tab.page.evaluate(f"document.querySelector('{editor}').CodeMirror.getValue()")
    assert "Run SignUp (or SignIn if you have an account)" in document, document

    async def run(operation: str, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": document, "operationName": operation}
        response = await api.http.post("/graphql", json=body, headers=headers)
        result: dict[str, Any] = response.json()
        assert "errors" not in result, result
        return dict(result["data"])

    token = (await run("SignUp"))["register"]["token"]  # a fresh database: SignIn would fail
    job_id = (await run("WriteLetter", token))["createCoverLetter"]["id"]
    await api.wait_for_status(token, job_id, "COMPLETED")
    recent = (await run("RecentJobs", token))["jobs"]["edges"]
    assert [edge["node"]["id"] for edge in recent] == [job_id]
    assert 'jobEvents(jobId: "paste the id from WriteLetter")' in document
    tab.assert_clean()


async def test_a_deleted_account_is_not_called_an_expired_session(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    await fill_form(tab.page)
    await api.data(
        "mutation($p: String!) { deleteAccount(password: $p) }", {"p": PASSWORD}, await tab.token()
    )
    await expect(tab.page.locator("#auth-error")).to_have_text("Your account was deleted.")
    await expect(tab.page.get_by_label("Email")).to_have_value("")
    tab.assert_clean()


async def test_the_form_counts_characters_as_the_api_does(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    company = page.get_by_label("Company", exact=True)
    counter = page.locator("#companyName-count")
    await company.click()
    await page.keyboard.insert_text("\N{GRINNING FACE}" * 150)
    assert await company.input_value() == "\N{GRINNING FACE}" * 150
    await expect(counter).to_have_text("150 / 200")
    await expect(page.get_by_text("Limit reached")).to_be_hidden()

    await page.keyboard.insert_text("\N{GRINNING FACE}" * 60)
    assert await company.input_value() == "\N{GRINNING FACE}" * 200
    await expect(counter).to_have_text("200 / 200")
    await expect(page.get_by_text("Limit reached: 200 characters.")).to_be_visible()
    await page.keyboard.press("Home")
    await page.keyboard.insert_text("x")  # a full field takes nothing more, anywhere
    assert await company.input_value() == "\N{GRINNING FACE}" * 200

    await page.get_by_label("Job description").fill("Data engineer \N{ROCKET}")
    await expect(page.locator("#jobDescription-count")).to_have_text("15 / 20,000")
    assert await company.get_attribute("maxlength") is None  # it counts UTF-16 units
    tab.assert_clean()


async def test_a_letter_that_does_not_exist_shows_no_progress(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await page.goto(f"/#/jobs/{NO_SUCH_JOB}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Letter not found")
    for part in ("status", "attempt", "progress", "letter"):
        await expect(page.get_by_test_id(part)).to_be_hidden()
    main = await page.locator("#main").inner_text()
    assert "Not started" not in main and "0%" not in main, main
    tab.assert_clean()


async def _session_expires(page: Page) -> None:
    await expect(page.locator("#auth-error")).to_have_text(
        "Your session has expired. Please sign in again.", timeout=30_000
    )


async def _sign_in(page: Page, email: str) -> None:
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("who")).to_have_text(email)


async def test_an_expired_session_gives_the_draft_back_to_the_same_account_only(
    browser: Browser, start_site: StartSite
) -> None:
    # Signed out at the token's exp plus the server's 5 s of leeway.
    api = await start_site(pace_ms=0, jwt_ttl_seconds=4)
    back, other = await open_tab(browser, api.base_url), await open_tab(browser, api.base_url)
    email = await sign_up(back)
    await fill_form(back.page, cvText="My CV, pasted once.", tone="FRIENDLY")
    other_email = await sign_up(other)
    await fill_form(other.page, cvText="Someone else's CV.")
    intruder = f"intruder-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(intruder, PASSWORD)

    await _session_expires(back.page)
    await expect(back.page.get_by_label("Email")).to_have_value(email)
    stored = await back.page.evaluate("JSON.stringify([{...sessionStorage}, {...localStorage}])")
    assert "My CV" not in stored, stored
    await _sign_in(back.page, email)
    await expect(back.page.get_by_label("Your CV", exact=True)).to_have_value("My CV, pasted once.")
    await expect(back.page.get_by_label("Tone")).to_have_value("FRIENDLY")
    await expect(back.page.locator("#cvText-count")).to_have_text("19 / 50,000")

    await _session_expires(other.page)
    await _sign_in(other.page, intruder)
    await expect(other.page.get_by_label("Your CV", exact=True)).to_have_value("")
    await other.page.get_by_role("button", name="Sign out").click()
    await _sign_in(other.page, other_email)  # another account came in between: nothing kept
    await expect(other.page.get_by_label("Your CV", exact=True)).to_have_value("")
    back.assert_clean()
    other.assert_clean()


async def test_polling_says_so_when_the_service_cannot_be_reached(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=300)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    await tab.context.route_web_socket("**/graphql", refuse)
    await sign_up(tab)
    job_id = await ask_for_a_letter(page)
    note = page.get_by_test_id("live-note")
    polling = "Live updates unavailable — refreshing every second"
    await expect(note).to_have_text(polling)

    async def unreachable(route: Route) -> None:
        await route.abort("connectionrefused")

    await tab.context.route("**/graphql", unreachable)
    await expect(note).to_have_text("The service cannot be reached — still trying every second")
    await tab.context.unroute("**/graphql", unreachable)
    await expect(note).to_have_text(polling)
    await wait_for_status(page, "COMPLETED")
    assert await letter_text(page) == await final_letter(api, tab, job_id)


async def test_a_sign_in_throttled_for_minutes_says_minutes(
    browser: Browser, start_site: StartSite
) -> None:
    # "Try again in 886 seconds." read as a sum to work out
    api = await start_site(pace_ms=0, login_failures_per_email=1)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    email = await sign_up(tab)
    await page.get_by_role("button", name="Sign out").click()

    for answer in ("Invalid email or password.", "Too many attempts. Try again in 15 minutes."):
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Sign in").click()
        # Each read before the next try: one still being checked holds the only place.
        await expect(page.locator("#auth-error")).to_have_text(answer)

    tab.assert_clean()


POLLING = "Live updates unavailable — refreshing every second"
UNREACHABLE = "The service cannot be reached — still trying every second"
#: the page's graphql-ws ping interval, and (at most) how long it waits for the pong
PING_EVERY_MS, PONG_WITHIN_MS = 10_000, 5_000
#: how long the page waits for an HTTP answer before it calls the service unreachable
REQUEST_TIMEOUT_MS = 10_000


async def test_a_stalled_socket_falls_back_to_polling_at_the_first_unanswered_ping(
    browser: Browser, start_site: StartSite, exit_stack: AsyncExitStack
) -> None:
    # No bytes move, nothing closes: the close handshake never ends, and the page used to
    # show "Writing" without a word for the minute Chromium takes to give up on it.
    api = await start_site(pace_ms=300)
    proxy = await exit_stack.enter_async_context(stalling_proxy(api.base_url))
    tab = await open_tab(browser, proxy.base_url)
    page = tab.page
    await tab.context.clock.install()  # the ping's timers, fast-forwarded below
    await sign_up(tab)
    job_id = await ask_for_a_letter(page)
    await start_recording(page)
    before = await wait_for_text(page, 40)
    proxy.stall(websockets=True)
    await page.clock.fast_forward(PING_EVERY_MS)  # the ping goes out, and no pong comes
    await page.clock.fast_forward(PONG_WITHIN_MS)

    note = page.get_by_test_id("live-note")
    await expect(note).to_have_text(POLLING, timeout=3_000)
    await wait_for_text(page, len(before) + 20)  # polling moves the letter on
    proxy.resume()
    await expect(note).to_be_hidden()  # live again on a new socket
    await wait_for_status(page, "COMPLETED")

    samples = await tab.samples()
    assert_grows(samples)
    assert any(s["polling"] and s["status"] == "PROCESSING" for s in samples), samples
    assert await letter_text(page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


async def test_going_offline_falls_back_to_polling_at_once(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=300)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    job_id = await ask_for_a_letter(page)
    await wait_for_text(page, 40)
    note = page.get_by_test_id("live-note")
    await tab.context.set_offline(True)
    # Before the 3 s a closed socket is given to come back: the browser says it is gone.
    await expect(note).to_be_visible(timeout=2_000)
    await expect(note).to_have_text(UNREACHABLE)
    await tab.context.set_offline(False)
    await expect(note).to_be_hidden()
    await wait_for_status(page, "COMPLETED")
    assert await letter_text(page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


def count_in_flight(page: Page) -> list[int]:
    """[now, most ever] of the page's /graphql requests waiting for their answer."""
    counts = [0, 0]

    def started(request: Request) -> None:
        if request.url.endswith("/graphql"):
            counts[0] += 1
            counts[1] = max(counts)

    def ended(request: Request) -> None:
        if request.url.endswith("/graphql"):
            counts[0] -= 1

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    return counts


async def test_polling_through_a_stalled_network_says_the_service_cannot_be_reached(
    browser: Browser, start_site: StartSite, exit_stack: AsyncExitStack
) -> None:
    # The polls' requests hung for ever, the note kept saying "refreshing every second",
    # and the history's refreshes piled up behind them.
    api = await start_site(pace_ms=300)
    proxy = await exit_stack.enter_async_context(stalling_proxy(api.base_url))
    tab = await open_tab(browser, proxy.base_url)
    page = tab.page
    await tab.context.clock.install()
    await tab.context.route_web_socket("**/graphql", refuse)
    await sign_up(tab)
    job_id = await ask_for_a_letter(page)
    note = page.get_by_test_id("live-note")
    await expect(note).to_have_text(POLLING)
    in_flight = count_in_flight(page)

    proxy.stall(websockets=True, http=True)
    for _ in range(3):
        await page.clock.fast_forward(REQUEST_TIMEOUT_MS)
    await expect(note).to_have_text(UNREACHABLE, timeout=3_000)
    assert in_flight[1] <= 2, in_flight  # a poll and a refresh of the history, no more
    proxy.resume()
    await expect(note).to_have_text(POLLING)
    await wait_for_status(page, "COMPLETED")
    assert await letter_text(page) == await final_letter(api, tab, job_id)
    tab.assert_clean()


async def test_a_letter_sent_again_after_its_answer_was_lost_is_written_once(
    browser: Browser, start_site: StartSite, exit_stack: AsyncExitStack
) -> None:
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    await tab.context.clock.install()
    await sign_up(tab)
    await fill_form(page)
    keys: list[str] = []
    created: list[str] = []
    reached_server, released = asyncio.Event(), asyncio.Event()
    exit_stack.callback(released.set)

    async def lose_the_first_answer(route: Route) -> None:
        body: dict[str, Any] = route.request.post_data_json or {}
        if "createCoverLetter" not in body["query"]:
            return await route.fallback()
        keys.append(body["variables"]["key"])
        if len(keys) > 1:
            return await route.fallback()
        response = await route.fetch()  # the server writes the letter…
        created.append((await response.json())["data"]["createCoverLetter"]["id"])
        reached_server.set()
        await released.wait()  # …and its answer never reaches the page
        with contextlib.suppress(PlaywrightError):
            await route.abort()

    await tab.context.route("**/graphql", lose_the_first_answer)
    send = page.get_by_role("button", name="Write my letter")
    await send.click()
    await asyncio.wait_for(reached_server.wait(), 15)
    await page.clock.fast_forward(REQUEST_TIMEOUT_MS)
    status = page.locator(".letter-form .status")
    await expect(status).to_have_text("The server cannot be reached. Check your connection.")
    await expect(status).to_have_class(re.compile(r"\berror\b"))
    await expect(send).not_to_have_attribute("aria-disabled", "true")

    assert await submit(page) == created[0]
    assert keys[0] == keys[1], keys
    listed = await api.data("{ jobs(first: 10) { edges { node { id } } } }", {}, await tab.token())
    assert [edge["node"]["id"] for edge in listed["jobs"]["edges"]] == created
    tab.assert_clean()


async def test_a_double_click_on_sign_in_opens_one_session(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    email = f"double-{uuid.uuid4().hex[:8]}@example.com"
    await api.register(email, PASSWORD)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    logins: list[str] = []

    async def slow_sign_in(route: Route) -> None:
        if "login(" in (route.request.post_data or ""):
            logins.append(route.request.url)
            await asyncio.sleep(1)  # a slow network: time for the second click
        await route.fallback()

    await tab.context.route("**/graphql", slow_sign_in)
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    await page.goto("/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_websocket():
        await page.get_by_role("button", name="Sign in").dblclick()
    await expect(page.get_by_test_id("who")).to_have_text(email)
    assert len(logins) == 1, logins

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("Email")).to_be_visible()
    for socket in sockets:
        if not socket.is_closed():
            await socket.wait_for_event("close", timeout=5_000)
    tab.assert_clean()


async def test_the_focus_moves_to_what_replaces_the_pressed_button(
    browser: Browser, start_site: StartSite
) -> None:
    # Cancel, Retry and a refused Write my letter each left the keyboard focus on <body>;
    # and the refusal said "try again shortly", in the muted style of a hint.
    api = await start_site(pace_ms=150, jobs_per_minute=2)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await ask_for_a_letter(page)
    await wait_for_text(page, 40)
    await page.get_by_role("button", name="Cancel", exact=True).press("Enter")
    await wait_for_status(page, "CANCELLED")
    await expect(page.get_by_role("button", name="Retry", exact=True)).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("attempt")).to_have_text("Attempt 2")
    await expect(page.get_by_role("heading", level=1)).to_be_focused()

    await page.get_by_role("link", name="New letter").click()
    await fill_form(page)  # a third letter in a minute: refused
    send = page.get_by_role("button", name="Write my letter")
    await send.press("Enter")
    status = page.locator(".letter-form .status")
    await expect(status).to_have_text(
        re.compile(r"^At most 2 letters a minute; try again in \d+ seconds\.$")
    )
    await expect(status).to_have_class(re.compile(r"\berror\b"))
    await expect(send).to_be_focused()
    tab.assert_clean()


WATCH_STATUS_REGION = """() => {
  const badge = document.querySelector("[data-testid=status]");
  const region = badge.closest("[role=status], [role=alert], [aria-live=polite]");
  if (!region || region.contains(document.querySelector("[data-testid=letter]"))) return false;
  window.__said = [region.textContent];
  new MutationObserver(() => window.__said.push(region.textContent)).observe(
    region, { subtree: true, childList: true, characterData: true },
  );
  return true;
}"""


async def test_the_status_is_announced_once_per_change(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site()
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await ask_for_a_letter(page)
    assert await page.evaluate(WATCH_STATUS_REGION), "the status is in no live region of its own"
    await wait_for_status(page, "COMPLETED")
    said: list[str] = await page.evaluate("window.__said")
    assert said[-1] == "Completed", said
    assert all(before != after for before, after in pairwise(said)), said  # never said twice
    tab.assert_clean()


async def test_a_paste_cut_to_the_limit_says_how_much_was_left_out(
    browser: Browser, start_site: StartSite
) -> None:
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url, permissions=["clipboard-read", "clipboard-write"])
    await sign_up(tab)
    page = tab.page
    await page.evaluate("text => navigator.clipboard.writeText(text)", "y" * 20_050)
    description = page.get_by_label("Job description")
    await description.focus()
    await page.keyboard.press("ControlOrMeta+V")
    await expect(page.locator("#jobDescription-count")).to_have_text("20,000 / 20,000")
    error = page.locator("#jobDescription-error")
    await expect(error).to_have_text(
        "The pasted text was cut to the limit of 20,000 characters:"
        " its last 50 characters were left out."
    )
    await expect(description).not_to_have_attribute("aria-invalid", "true")
    await page.keyboard.type("z")  # typing into a full field: nothing to say but the limit
    await expect(error).to_have_text("Limit reached: 20,000 characters.")
    assert await description.input_value() == "y" * 20_000
    tab.assert_clean()
