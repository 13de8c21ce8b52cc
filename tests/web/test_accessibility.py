"""What a screen reader, a keyboard or a narrow screen gets from the web client: the
findings of an outside accessibility tester, each shown fixed in a real Chromium."""

import asyncio
import re
import uuid

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.client import Api
from tests.conftest import StartApi
from tests.web.conftest import CHROMIUM, StartSite
from tests.web.pages import (
    PASSWORD,
    Tab,
    ask_for_a_letter,
    fill_form,
    open_tab,
    sign_up,
    signed_up_tab,
    submit,
    wait_for_status,
)

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: run scripts/install-browser.sh"
    ),
    pytest.mark.parametrize("stack", ["embedded"], indirect=True),
]

NO_SUCH_JOB = "00000000-0000-4000-8000-000000000000"
#: How the letter reaches a screen reader: inside anything that announces changes it is read
#: out, chunk by chunk as it streams, and all at once when a finished letter is opened.
IN_A_LIVE_REGION = """letter => letter.closest(
  "[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log], [role=marquee]"
) !== null"""


async def completed_letter(api: Api, tab: Tab, job_id: str) -> str:
    job = await api.job(await tab.token(), job_id)
    assert job is not None and job["status"] == "COMPLETED", job
    return str(job["coverLetter"])


def letter_region(page: Page) -> Locator:
    return page.get_by_role("region", name="Your cover letter")


async def test_the_letter_is_a_region_to_read_and_only_its_completion_is_announced(
    browser: Browser, start_site: StartSite
) -> None:
    # One letter went into a polite live region as 33 additions: two minutes of queued speech.
    api = await start_site()
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    job_id = await ask_for_a_letter(page)
    letter = letter_region(page)
    await expect(letter).to_be_visible()
    assert not await letter.evaluate(IN_A_LIVE_REGION)
    await wait_for_status(page, "COMPLETED")

    words = len((await completed_letter(api, tab, job_id)).split())
    await expect(page.get_by_role("status").filter(has_text="Letter complete")).to_have_text(
        f"Letter complete, {words} words."
    )

    # Opened again later (from the history), the finished letter is there to read, unsaid.
    await page.get_by_role("link", name="New letter").click()
    await page.get_by_role("complementary").get_by_role("link", name="Letter for").click()
    await expect(letter).to_have_text(await completed_letter(api, tab, job_id))
    assert not await letter.evaluate(IN_A_LIVE_REGION)
    await expect(page.get_by_role("status").filter(has_text="Letter complete")).to_have_count(0)
    tab.assert_clean()


async def letters_written(api: Api, token: str, *companies: str) -> None:
    """Letters written through the API, oldest first, each finished before the next."""
    for company in companies:
        job = await api.create_job(token, companyName=company)
        await api.wait_for_status(token, job["id"], "COMPLETED")


async def press_delete(page: Page, name: str) -> None:
    """Delete by keyboard: Enter arms the button, Enter again deletes."""
    await page.get_by_role("button", name=name).press("Enter")
    await page.keyboard.press("Enter")


async def test_a_deleted_letter_is_said_to_be_deleted_and_the_focus_stays_in_the_list(
    browser: Browser, start_site: StartSite
) -> None:
    # The focus fell to <body> with the deleted row, and nothing said the letter was gone.
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await letters_written(api, await tab.token(), "Alpha", "Beta", "Gamma", "Delta")
    history = page.get_by_role("complementary")
    said = history.get_by_role("status")
    await expect(history.get_by_role("listitem")).to_have_count(4)  # Delta, Gamma, Beta, Alpha

    await press_delete(page, "Delete: Letter for Beta")
    await expect(said).to_have_text("Letter for Beta deleted.")
    await expect(history.get_by_role("link", name="Letter for Alpha")).to_be_focused()
    await press_delete(page, "Delete: Letter for Alpha")  # the last row: the one above it
    await expect(history.get_by_role("link", name="Letter for Gamma")).to_be_focused()
    await expect(said).to_have_text("Letter for Alpha deleted.")
    await press_delete(page, "Delete: Letter for Gamma")
    await press_delete(page, "Delete: Letter for Delta")  # none left: the list's heading
    await expect(history.get_by_role("heading", name="Your letters")).to_be_focused()
    await expect(history.get_by_role("listitem")).to_have_count(0)

    # Deleted from its own view, the letter leaves for the form, and that is said too.
    await ask_for_a_letter(page)
    await wait_for_status(page, "COMPLETED")
    await press_delete(page, "Delete this letter")
    await expect(page.get_by_role("heading", name="New cover letter")).to_be_focused()
    await expect(said).to_have_text("Letter for Acme Analytics deleted.")
    tab.assert_clean()


#: How long a pressed Delete waits for the second press: it was 4 seconds.
ARMED_MS = 10_000


async def test_a_pressed_delete_is_named_as_it_reads_waits_and_says_when_it_lets_go(
    browser: Browser, start_site: StartSite
) -> None:
    # Armed, it showed "Press again to delete" but was named "Press again to confirm: …"
    # (a voice command of what it showed did nothing), and it let go after 4 seconds, unsaid.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    await tab.context.clock.install()  # the armed button's timer, fast-forwarded below
    await sign_up(tab)
    await letters_written(api, await tab.token(), "Beta")
    history = page.get_by_role("complementary")

    await history.get_by_role("button", name="Delete: Letter for Beta").press("Enter")
    armed = history.get_by_role("button", name="Press again to delete: Letter for Beta")
    await expect(armed).to_be_focused()
    await expect(armed).to_have_text("Press again to delete")
    await page.clock.fast_forward(ARMED_MS // 2)  # more than the 4 seconds it gave
    await expect(armed).to_have_text("Press again to delete")
    await page.clock.fast_forward(ARMED_MS // 2)
    await expect(history.get_by_role("button", name="Delete: Letter for Beta")).to_have_text(
        "Delete"
    )
    await expect(history.get_by_role("status")).to_have_text(
        re.compile(r"^Delete not confirmed: Letter for Beta, started .+ kept\.$")
    )
    await expect(history.get_by_role("listitem")).to_have_count(1)

    # The letter's own view: the same, said in its own status line.
    await ask_for_a_letter(page)
    await wait_for_status(page, "COMPLETED")
    view = page.get_by_role("main")
    await view.get_by_role("button", name="Delete this letter").press("Enter")
    armed = view.get_by_role("button", name="Press again to delete: Letter for Acme Analytics")
    await expect(armed).to_be_focused()
    await page.clock.fast_forward(ARMED_MS)
    await expect(view.get_by_role("button", name="Delete this letter")).to_have_text("Delete")
    await expect(view.get_by_role("status").filter(has_text="not confirmed")).to_have_text(
        "Delete not confirmed: Letter for Acme Analytics kept."
    )
    tab.assert_clean()


async def test_letters_without_a_company_have_buttons_told_apart_by_when_they_were_started(
    browser: Browser, start_site: StartSite
) -> None:
    # Every letter without a company had the same "Copy: Cover letter", "Delete: Cover letter".
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    token = await tab.token()
    for _ in range(2):
        job = await api.create_job(token, companyName=None)
        await api.wait_for_status(token, job["id"], "COMPLETED")
        await asyncio.sleep(1)  # a second apart: the names give the time to the second
    history = page.get_by_role("complementary")
    await expect(history.get_by_role("listitem")).to_have_count(2)

    for verb in ("Copy", "Download", "Delete"):
        named = re.compile(f"^{verb}: Cover letter, started .+:\\d\\d\\s[AP]M$")
        await expect(history.get_by_role("button", name=named)).to_have_count(2)
    buttons = re.findall(r'button "(.+?)"', await history.aria_snapshot())
    assert len(buttons) == len(set(buttons)) == 6, buttons
    tab.assert_clean()


async def test_the_last_page_of_older_letters_hands_the_focus_to_its_first_letter(
    browser: Browser, start_site: StartSite
) -> None:
    # The button hid itself once the last page was in, and the focus fell to <body>.
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await letters_written(api, await tab.token(), *(f"Company {n:02}" for n in range(21)))
    await page.reload()  # the history's first page: the 20 newest
    history = page.get_by_role("complementary")
    await expect(history.get_by_role("listitem")).to_have_count(20)

    await history.get_by_role("button", name="Show older letters").press("Enter")
    await expect(history.get_by_role("listitem")).to_have_count(21)
    await expect(history.get_by_role("button", name="Show older letters")).to_be_hidden()
    await expect(history.get_by_role("link", name="Letter for Company 00")).to_be_focused()
    tab.assert_clean()


UNREACHABLE = "The server cannot be reached. Check your connection."
#: How often the history refreshes itself while the socket is down.
REFRESH_WHILE_DOWN_MS = 5_000
#: Every text the history's status line is given, in order.
RECORD_HISTORY_STATUS = """() => {
  const status = document.querySelector(".history-panel [role=status]");
  window.__historySaid = [];
  new MutationObserver(() => window.__historySaid.push(status.textContent)).observe(
    status, { subtree: true, childList: true, characterData: true },
  );
}"""


async def test_the_history_says_once_that_the_service_is_unreachable_and_unsays_it_when_back(
    browser: Browser, start_site: StartSite
) -> None:
    # "cannot be reached" was written again at every refresh while the service was down,
    # and stayed on the page long after it was back.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    await tab.context.clock.install()  # the refreshes' timers, fast-forwarded below
    await sign_up(tab)
    failed_refreshes = asyncio.Queue[str]()
    page.on("requestfailed", lambda request: failed_refreshes.put_nowait(request.url))
    said = page.get_by_role("complementary").get_by_role("status")
    await page.evaluate(RECORD_HISTORY_STATUS)

    await tab.context.set_offline(True)
    await page.wait_for_function("!navigator.onLine")  # its offline event handled: refreshes due
    for _ in range(3):
        await page.clock.fast_forward(REFRESH_WHILE_DOWN_MS)
        await asyncio.wait_for(failed_refreshes.get(), 10)
    await expect(said).to_have_text(UNREACHABLE)
    await tab.context.set_offline(False)
    await page.wait_for_function("navigator.onLine")
    await page.clock.fast_forward(REFRESH_WHILE_DOWN_MS)  # the next refresh gets an answer
    await expect(said).to_have_text("")
    assert await page.evaluate("window.__historySaid") == [UNREACHABLE, ""]
    tab.assert_clean()


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two computed colours ("rgb(123, 135, 132)")."""

    def luminance(colour: str) -> float:
        red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", colour)[:3])
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


STYLE_OF = """(element, names) => {
  const style = getComputedStyle(element);
  return Object.fromEntries(names.map(name => [name, style.getPropertyValue(name)]));
}"""
#: The focus ring buttons and links get, which fields now share.
FOCUS_RING = {"outline-style": "solid", "outline-width": "2px", "outline-color": "rgb(47, 93, 98)"}


async def test_the_fields_stand_out_from_the_page_and_show_the_focus_like_buttons(
    browser: Browser, start_site: StartSite
) -> None:
    # Their borders were 1.62:1 against the panel, and the focus ring around them 1.19:1.
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    panel = page.get_by_role("main")
    background = (await panel.evaluate(STYLE_OF, ["background-color"]))["background-color"]
    for field in (
        page.get_by_label("Job description"),
        page.get_by_label("Your CV", exact=True),
        page.get_by_label("Tone"),
        page.get_by_label("Company", exact=True),
    ):
        edge = (await field.evaluate(STYLE_OF, ["border-top-color"]))["border-top-color"]
        assert contrast(edge, background) >= 3, (edge, background)
        await field.focus()
        ring = await field.evaluate(STYLE_OF, list(FOCUS_RING))
        assert ring == FOCUS_RING, ring
    tab.assert_clean()


#: The colour at the middle of a screenshot (its PNG bytes), as "rgb(…)": what a pseudo-element
#: such as the progress bar's fill paints, which no computed style tells.
PAINTED_AT_THE_MIDDLE = """async png => {
  const image = await createImageBitmap(new Blob([new Uint8Array(png)], { type: "image/png" }));
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const [r, g, b] = context.getImageData(image.width >> 1, image.height >> 1, 1, 1).data;
  return `rgb(${r}, ${g}, ${b})`;
}"""


async def test_the_progress_bar_keeps_an_edge_and_a_fill_in_forced_colours(
    browser: Browser, start_site: StartSite
) -> None:
    # In high contrast the bar was painted like the page around it: only the % was left.
    api = await start_site(pace_ms=0)
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await page.emulate_media(forced_colors="active")
    await ask_for_a_letter(page)
    await wait_for_status(page, "COMPLETED")
    bar = page.get_by_role("progressbar", name="Progress")
    page_colour = (await page.get_by_role("main").evaluate(STYLE_OF, ["background-color"]))[
        "background-color"
    ]
    edge = await bar.evaluate(STYLE_OF, ["border-top-style", "border-top-color"])
    assert edge["border-top-style"] == "solid", edge
    assert contrast(edge["border-top-color"], page_colour) >= 3, (edge, page_colour)
    fill = await page.evaluate(PAINTED_AT_THE_MIDDLE, list(await bar.screenshot()))
    assert contrast(fill, page_colour) >= 3, (fill, page_colour)
    tab.assert_clean()


async def test_the_writing_cursor_blinks_a_few_times_then_stays_still(
    browser: Browser, start_site: StartSite
) -> None:
    # It blinked for as long as the letter streamed, a minute and more: past WCAG's 5 seconds.
    api = await start_site(pace_ms=1_000)  # still streaming when looked at
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    await page.emulate_media(reduced_motion="no-preference")
    await ask_for_a_letter(page)
    await wait_for_status(page, "PROCESSING")
    cursor = await letter_region(page).evaluate(
        """letter => {
          const style = getComputedStyle(letter, "::after");
          return [style.animationName, style.animationDuration, style.animationIterationCount];
        }"""
    )
    name, duration, count = cursor
    assert name == "blink" and count != "infinite", cursor
    assert float(duration.removesuffix("s")) * float(count) <= 5, cursor
    await page.get_by_role("button", name="Cancel", exact=True).click()  # no minute-long stream
    await wait_for_status(page, "CANCELLED")
    tab.assert_clean()


async def test_a_phone_never_scrolls_sideways_and_shows_the_whole_address(
    browser: Browser, start_site: StartSite
) -> None:
    # A company named with one long German word pushed the page to 370 px in a 320 px
    # screen, and the signed-in address was cut to its first few letters.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url, viewport={"width": 320, "height": 640})
    email = await sign_up(tab, f"a.rather.long.address.{uuid.uuid4().hex[:8]}@example.com")
    page = tab.page
    company = "Nachrichtenübertragungs-und-Kommunikationstechnikgesellschaft"
    await fill_form(page, companyName=company)
    await submit(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Letter for {company}")
    scroll = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], scroll
    who = page.get_by_test_id("who")
    await expect(who).to_have_text(email)
    assert await who.evaluate("e => e.scrollWidth <= e.clientWidth"), "the address is cut off"
    tab.assert_clean()


async def test_the_text_follows_the_size_the_reader_set_in_the_browser(
    browser: Browser, start_site: StartSite
) -> None:
    # The page fixed its text at 16 px, whatever size the reader had asked the browser for.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    browser_settings = await tab.context.new_cdp_session(page)
    await browser_settings.send("Page.setFontSizes", {"fontSizes": {"standard": 24}})
    await page.goto("/")
    heading = page.get_by_role("heading", name="Sign in to CareerOps")
    assert (await heading.evaluate(STYLE_OF, ["font-size"]))["font-size"] == "36px"  # 1.5rem
    tab.assert_clean()


async def test_the_tab_title_says_where_the_reader_is(
    browser: Browser, start_site: StartSite
) -> None:
    # Every view was "CareerOps — cover letters, written live", the first thing said of each.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    await page.goto("/")
    await expect(page).to_have_title("Sign in — CareerOps")
    await sign_up(tab)
    await expect(page).to_have_title("New cover letter — CareerOps")
    job_id = await ask_for_a_letter(page)
    await wait_for_status(page, "COMPLETED")
    await expect(page).to_have_title("Letter for Acme Analytics (Completed) — CareerOps")
    await page.goto(f"/#/jobs/{NO_SUCH_JOB}")
    await expect(page).to_have_title("Letter not found — CareerOps")
    await page.goto(f"/#/jobs/{job_id}")
    await expect(page).to_have_title("Letter for Acme Analytics (Completed) — CareerOps")
    tab.assert_clean()


async def test_a_letter_that_ended_before_its_first_word_does_not_promise_one(
    browser: Browser, start_api: StartApi
) -> None:
    # A cancelled letter with no text went on saying it "will appear here as it is written".
    api = await start_api()  # no worker: the letter waits in the queue until cancelled
    tab = await signed_up_tab(browser, api.base_url)
    page = tab.page
    token = await tab.token()
    job = await api.create_job(token)
    await page.goto(f"/#/jobs/{job['id']}")
    letter = letter_region(page)
    await expect(letter).to_match_aria_snapshot(
        '- region "Your cover letter": The letter will appear here as it is written.'
    )
    await api.data("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job["id"]}, token)
    await wait_for_status(page, "CANCELLED")
    await expect(letter).to_match_aria_snapshot(
        '- region "Your cover letter": No text was written.'
    )
    tab.assert_clean()


async def test_a_sign_in_refused_before_sending_points_at_the_field_to_fix(
    browser: Browser, start_site: StartSite
) -> None:
    # The message came, but no field was marked, and the focus stayed on the button.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    page = tab.page
    await page.goto("/")
    email, password = page.get_by_label("Email"), page.get_by_label("Password")
    await page.get_by_role("button", name="Create account").press("Enter")
    await expect(email).to_be_focused()
    await expect(email).to_have_attribute("aria-invalid", "true")
    message = "Enter your email and a password of at least 8 characters."
    await expect(email).to_have_accessible_description(message)

    await email.fill("someone@example.com")
    await password.fill("short")
    await page.get_by_role("button", name="Create account").press("Enter")
    await expect(password).to_be_focused()
    await expect(email).not_to_have_attribute("aria-invalid", "true")
    await expect(password).to_have_attribute("aria-invalid", "true")
    await expect(password).to_have_accessible_description(re.compile(re.escape(message)))
    # Creating an account: a password manager may offer a new password, not an old one.
    await expect(password).to_have_attribute("autocomplete", "new-password")
    tab.assert_clean()


async def test_a_sign_in_refused_by_the_server_points_at_the_field_to_fix(
    browser: Browser, start_site: StartSite
) -> None:
    # "Invalid email or password." or an email already taken: said, but no field was marked,
    # and the focus stayed on the button.
    api = await start_site(pace_ms=0)
    tab = await open_tab(browser, api.base_url)
    address = await sign_up(tab)
    page = tab.page
    await page.get_by_role("button", name="Sign out").click()
    email, password = page.get_by_label("Email"), page.get_by_label("Password")
    await email.fill(address)
    await password.fill("not the password")
    await page.get_by_role("button", name="Sign in").press("Enter")
    await expect(email).to_be_focused()
    refused = "Invalid email or password."  # which of the two, the server does not say
    for field in (email, password):
        await expect(field).to_have_attribute("aria-invalid", "true")
        await expect(field).to_have_accessible_description(re.compile(re.escape(refused)))

    await password.fill(PASSWORD)
    await page.get_by_role("button", name="Create account").press("Enter")
    await expect(email).to_have_accessible_description("An account with this email already exists.")
    await expect(email).to_be_focused()
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(password).not_to_have_attribute("aria-invalid", "true")
    tab.assert_clean()
