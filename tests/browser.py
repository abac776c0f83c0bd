"""A real browser for the web pages: headless Chromium driven by Selenium (Debian's chromium
and chromium-driver at /usr/bin; `.ci/run` installs them).

Selenium's calls block, and the bot under test runs on the test's own event loop, so every
call goes through a thread (`await browser.get(...)`): the page's requests are then served
while the browser waits. Screenshots go to `build/screenshots/` (ignored by git) for people
to look at.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUIRE_ENV = "GOVERNANCE_REQUIRE_BROWSER"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1280,1000")


def browser_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


class Browser:
    """The few Selenium calls the tests use, each run in a thread."""

    def __init__(self, driver: Any, downloads: Path) -> None:
        self.driver = driver
        self.downloads = downloads  # where files the page sends as attachments land

    async def downloaded(self, suffix: str, timeout: float = 10.0) -> Path:
        """The first finished download ending in `suffix` (waits for Chromium to write it)."""
        for _ in range(int(timeout / 0.1)):
            found = [p for p in self.downloads.iterdir() if p.name.endswith(suffix)]
            if found:
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no *{suffix} downloaded into {self.downloads}: {list(self.downloads.iterdir())}")

    async def get(self, url: str) -> None:
        await asyncio.to_thread(self.driver.get, url)

    async def find(self, css: str):
        from selenium.webdriver.common.by import By

        return await asyncio.to_thread(self.driver.find_element, By.CSS_SELECTOR, css)

    async def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return await asyncio.to_thread(self.driver.find_elements, By.CSS_SELECTOR, css)

    async def wait_for(self, css: str, timeout: float = 30.0):
        """The element once the page holding it has loaded (a click that navigates returns before the load ends)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        wait = WebDriverWait(self.driver, timeout)
        return await asyncio.to_thread(wait.until, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    async def title(self) -> str:
        return await asyncio.to_thread(lambda: self.driver.title)

    async def text(self, css: str = "body") -> str:
        element = await self.find(css)
        return await asyncio.to_thread(lambda: element.text)

    async def _click_and_wait(self, by: str, value: str, navigates: bool) -> None:
        """Click; when it loads another page, wait until the old one is gone (reads then see the new one).

        The element is found at the click. ChromeDriver sometimes cannot resolve an element it
        found a moment before ("Node with given id does not belong to the document", seen after a
        full-page screenshot): the click was not dispatched, so it is found and clicked again.
        """
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        def run() -> None:
            old = self.driver.find_element(By.TAG_NAME, "html")
            for attempt in range(3):
                try:
                    self.driver.find_element(by, value).click()
                    break
                except StaleElementReferenceException:
                    if attempt == 2:
                        raise
                except WebDriverException as exc:
                    if "does not belong to the document" not in str(exc) or attempt == 2:
                        raise
            if navigates:
                WebDriverWait(self.driver, 15).until(expected_conditions.staleness_of(old))
                WebDriverWait(self.driver, 15).until(
                    lambda d: d.execute_script("return document.readyState") == "complete")

        await asyncio.to_thread(run)

    async def click(self, css: str, *, navigates: bool = True) -> None:
        from selenium.webdriver.common.by import By

        await self.find(css)  # present (and the page loaded) before clicking
        await self._click_and_wait(By.CSS_SELECTOR, css, navigates)

    async def click_link(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        await asyncio.to_thread(self.driver.find_element, By.LINK_TEXT, text)
        await self._click_and_wait(By.LINK_TEXT, text, True)

    async def fill(self, css: str, value: str) -> None:
        element = await self.find(css)
        await asyncio.to_thread(element.clear)
        await asyncio.to_thread(element.send_keys, value)

    @property
    def url(self) -> str:
        return self.driver.current_url

    async def source(self) -> str:
        return await asyncio.to_thread(lambda: self.driver.page_source)

    async def screenshot(self, name: str) -> Path:
        """Save the whole page (not only the window) as build/screenshots/NAME.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"

        def take() -> None:
            width, height = self.driver.execute_script(
                "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": int(width), "height": min(int(height), 8000), "scale": 1}})
            path.write_bytes(base64.b64decode(shot["data"]))

        await asyncio.to_thread(take)
        return path

    async def console_errors(self, origin: str = "") -> list[str]:
        """Messages pages of `origin` logged at SEVERE since the last call (CSP violations show up here)."""
        logs = await asyncio.to_thread(self.driver.get_log, "browser")
        return [entry["message"] for entry in logs
                if entry.get("level") == "SEVERE" and entry["message"].startswith(origin)]


@pytest.fixture
async def browser():
    if not browser_available():
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are required ({REQUIRE_ENV}=1)")
        pytest.skip("chromium and chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="governance-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = await asyncio.to_thread(webdriver.Chrome, options=options, service=Service(CHROMEDRIVER))
    downloads = Path(profile) / "downloads"
    downloads.mkdir()
    await asyncio.to_thread(driver.execute_cdp_cmd, "Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield Browser(driver, downloads)
    finally:
        await asyncio.to_thread(driver.quit)
        shutil.rmtree(profile, ignore_errors=True)
