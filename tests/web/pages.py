"""Driving the web client the way a person would: labels, buttons, visible text."""

import json
import uuid
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.client import SAMPLE_INPUT

PASSWORD = "correct horse 1"
STREAM_TIMEOUT_MS = 30_000
# The editor of GraphiQL's open tool tab (Headers, as the page opens it); Variables' is hidden.
GRAPHIQL_HEADERS = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"

# Records what the job view shows each time any of it changes (a MutationObserver
# sees every render), so growth is checked on every step, not on lucky samples.
RECORD_SAMPLES = """() => {
  const read = () => ({
    status: document.querySelector("[data-testid=status]")?.dataset.status ?? null,
    attempt: document.querySelector("[data-testid=attempt]")?.textContent ?? "",
    text: document.querySelector("[data-testid=letter]")?.textContent ?? "",
    polling: !document.querySelector("[data-testid=live-note]")?.hidden,
  });
  window.__samples = [read()];
  new MutationObserver(() => window.__samples.push(read())).observe(
    document.getElementById("main"),
    { subtree: true, childList: true, characterData: true, attributes: true },
  );
}"""


@dataclass
class Tab:
    """One browser context with one page, and the problems the page reported."""

    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)

    async def token(self) -> str:
        stored = await self.page.evaluate("sessionStorage.getItem('careerops.session')")
        return str(json.loads(stored)["token"])

    async def samples(self) -> list[dict[str, Any]]:
        samples: list[dict[str, Any]] = await self.page.evaluate("window.__samples")
        return samples

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems


async def open_tab(browser: Browser, base_url: str, **options: Any) -> Tab:
    context = await browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    tab = Tab(context, page)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            tab.problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.problems.append(f"uncaught: {error}"))
    return tab


async def sign_up(tab: Tab, email: str | None = None) -> str:
    email = email or f"web-{uuid.uuid4().hex[:10]}@example.com"
    page = tab.page
    await page.goto("/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_test_id("who")).to_have_text(email)
    return email


async def signed_up_tab(browser: Browser, base_url: str) -> Tab:
    """A new tab, signed up as a new user on the page."""
    tab = await open_tab(browser, base_url)
    await sign_up(tab)
    return tab


async def fill_form(page: Page, **overrides: str) -> None:
    fields = {**SAMPLE_INPUT, **overrides}
    await page.get_by_label("Job description").fill(fields["jobDescription"])
    await page.get_by_label("Your CV", exact=True).fill(fields["cvText"])
    await page.get_by_label("Tone").select_option(fields["tone"])
    await page.get_by_label("Company", exact=True).fill(fields["companyName"])
    await page.get_by_label("Your name", exact=True).fill(fields["applicantName"])


async def submit(page: Page) -> str:
    """Send the form; the page moves to the job's view. Returns the job id."""
    await page.get_by_role("button", name="Write my letter").click()
    await page.wait_for_url("**/#/jobs/*")
    return page.url.rsplit("/", 1)[1]


async def ask_for_a_letter(page: Page) -> str:
    """The form filled with the sample and sent. Returns the job id."""
    await fill_form(page)
    return await submit(page)


async def start_recording(page: Page) -> None:
    await page.wait_for_selector("[data-testid=letter]", state="attached")
    await page.evaluate(RECORD_SAMPLES)


async def wait_for_status(page: Page, status: str, timeout: float = STREAM_TIMEOUT_MS) -> None:
    await expect(page.get_by_test_id("status")).to_have_attribute(
        "data-status", status, timeout=timeout
    )


async def wait_for_text(page: Page, min_chars: int) -> str:
    """Waits until the letter shows at least ``min_chars`` characters; returns them."""
    await page.wait_for_function(
        "n => (document.querySelector('[data-testid=letter]')?.textContent ?? '').length >= n",
        arg=min_chars,
        timeout=STREAM_TIMEOUT_MS,
    )
    return await letter_text(page)


async def letter_text(page: Page) -> str:
    return await page.get_by_test_id("letter").text_content() or ""


def assert_grows(samples: list[dict[str, Any]], *, status: str = "PROCESSING") -> list[str]:
    """The distinct texts shown while ``status``, each extending the one before."""
    texts: list[str] = []
    for sample in samples:
        if sample["status"] == status and (not texts or sample["text"] != texts[-1]):
            texts.append(sample["text"])
    for before, after in pairwise(texts):
        assert after.startswith(before) and len(after) > len(before), (before, after)
    return texts


async def open_graphiql(page: Page, document: str, token: str) -> None:
    """GraphiQL with `document` in its editor and the token typed into its Headers tab."""
    await page.goto("/graphql?" + urlencode({"q": document}))
    await page.locator(GRAPHIQL_HEADERS).click()
    await page.keyboard.press("ControlOrMeta+A")
    await page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {token}"}))
