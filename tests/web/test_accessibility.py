"""What a screen reader, a keyboard or a narrow screen gets from the web client: the
findings of an outside accessibility tester, each shown fixed in a real Chromium."""

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.client import Api
from tests.web.conftest import CHROMIUM, StartSite
from tests.web.pages import Tab, ask_for_a_letter, signed_up_tab, wait_for_status

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: run scripts/install-browser.sh"
    ),
    pytest.mark.parametrize("stack", ["embedded"], indirect=True),
]

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
