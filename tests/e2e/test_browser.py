"""A real browser on the docs: Debian's headless Chromium, driven by selenium through Debian's
chromedriver (given explicitly, so selenium-manager never downloads anything).

The server is gunicorn with production settings (whitenoise serves the Swagger UI and Redoc
bundles). The browser opens /api/docs/, authorises with a token in the Authorize dialog, runs
"Try it out" → Execute on GET /api/v1/prompts/ and sees its 200, opens /api/redoc/ and sees it
render; every URL the pages requested (from Chrome's performance log: CDP Network events) is on
127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import gunicorn, require, require_executable

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 60  # seconds; two busy cores can be slow to parse the bundles

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - the dev lock has selenium
    webdriver = None


@pytest.fixture
def browser(tmp_path):
    require(webdriver is not None, "selenium (dev requirements)")
    binary = require_executable("chromium", CHROMIUM)
    driver_path = require_executable("chromedriver", CHROMEDRIVER)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=driver_path, log_output=os.devnull)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for (CDP Network events), less those the browser itself blocked
    before sending (a Content-Security-Policy refusal never leaves the machine)."""
    sent: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.webSocketCreated":
            sent[params["requestId"]] = params["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return [url for request_id, url in sent.items() if request_id not in blocked]


def leaves_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
        return False
    return parts.hostname != "127.0.0.1"


@contextlib.contextmanager
def screenshot_on_failure(driver):
    """Keep what the browser showed when a step fails (CI artefact folder or the temp dir)."""
    try:
        yield
    except Exception:
        folder = Path(os.environ.get("E2E_ARTIFACTS", tempfile.gettempdir()))
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / "swagger-failure.png"
        driver.save_screenshot(str(shot))
        console = [e.get("message") for e in driver.get_log("browser")]
        print(f"screenshot: {shot}; url: {driver.current_url}; console: {console}")
        raise


def test_swagger_ui_try_it_out_and_redoc_stay_on_loopback(browser, tmp_path):
    from knox.models import AuthToken

    from tests.factories import AssistantFactory, PromptFactory, UserFactory

    user = UserFactory()
    PromptFactory(author=AssistantFactory(owner=user), title="Seen through Swagger UI")
    _, token = AuthToken.objects.create(user)

    urls: list[str] = []
    wait = WebDriverWait(browser, WAIT)
    with gunicorn(tmp_path, WEB_CONCURRENCY="2") as base, screenshot_on_failure(browser):
        browser.get(f"{base}/api/docs/")
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize"))).click()

        # The Authorize dialog: the token scheme's input, then its Authorize button, then Close.
        knox = "//div[@class='auth-container'][.//*[contains(text(),'knoxApiToken')]]"
        container = wait.until(ec.presence_of_element_located((By.XPATH, knox)))
        container.find_element(By.CSS_SELECTOR, "input").send_keys(f"Token {token}")
        container.find_element(By.CSS_SELECTOR, "button.authorize").click()
        wait.until(
            ec.presence_of_element_located(
                (By.XPATH, f"{knox}//*[normalize-space(text())='Authorized']")
            )
        )
        browser.find_element(By.XPATH, f"{knox}//button[normalize-space()='Close']").click()
        wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, ".dialog-ux")))

        operation = wait.until(
            ec.presence_of_element_located((By.ID, "operations-prompts-prompts_list"))
        )
        browser.execute_script("arguments[0].scrollIntoView();", operation)
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        wait.until(lambda d: operation.find_elements(By.CSS_SELECTOR, "button.try-out__btn"))[
            0
        ].click()
        wait.until(lambda d: operation.find_elements(By.CSS_SELECTOR, "button.execute"))[0].click()
        status = wait.until(
            lambda d: operation.find_elements(
                By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
            )
        )[0]
        assert status.text.strip() == "200"
        body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
        assert "Seen through Swagger UI" in body
        curl = operation.find_element(By.CSS_SELECTOR, ".curl-command").text
        assert "Authorization: Token" in curl  # the request carried the token
        urls += requested_urls(browser)

        browser.get(f"{base}/api/redoc/")
        title = wait.until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, ".api-info h1, .api-content h1"))
        )
        assert "MythOS prompt economy API" in title.text
        wait.until(
            lambda d: (
                d.find_elements(By.XPATH, "//*[contains(text(),'prompts_list')]")
                or d.find_elements(By.XPATH, "//h2[contains(., 'prompts')]")
            )
        )
        urls += requested_urls(browser)

    assert any(u.endswith("/api/v1/prompts/") or "/api/v1/prompts/?" in u for u in urls), urls
    assert any("/static/" in u for u in urls), urls
    outside = [u for u in urls if leaves_loopback(u)]
    assert not outside, f"requests left 127.0.0.1: {outside}"
