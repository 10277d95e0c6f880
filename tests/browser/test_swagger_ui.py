"""Swagger UI and ReDoc, driven in the system's Chromium against the service under gunicorn.

What a reader of the API docs does by hand: pick `primary` in the X-DB-Alias
parameter, try a read, log in with Basic auth, write an article, and see in
the rendered response headers which database served each request. And both
pages work offline: nothing is requested from another origin.

Playwright drives Debian's /usr/bin/chromium: no browser is ever downloaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    Request,
    Response,
    expect,
    sync_playwright,
)

from tests.live.server import DEMO_PASSWORD, DEMO_USER, PROJECT, LiveServer, live_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Containers have no GPU, often no user namespaces for the sandbox and a tiny /dev/shm.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SCREENSHOTS = PROJECT / "var" / "screenshots"
# Generous for a cold browser on a busy machine, yet bounded: a hang fails the test.
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # DEBUG is off, so the override policy is `primary-only`: X-DB-Alias: primary is allowed.
    with live_server("gunicorn-gthread", tmp_path_factory.mktemp("swagger-ui")) as server:
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@dataclass
class BrowserProblems:
    """Everything that went wrong in the page, recorded as it happens."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", self._on_request)
        page.on("requestfailed", lambda request: self.failed_requests.append(f"{request.url}: {request.failure}"))
        page.on("response", self._on_response)

    def all(self) -> list[str]:
        return [
            *(f"console error: {text}" for text in self.console_errors),
            *(f"uncaught exception: {text}" for text in self.page_errors),
            *(f"request failed: {text}" for text in self.failed_requests),
            *(f"error response: {text}" for text in self.error_responses),
            *(f"request to another origin (a CDN?): {url}" for url in self.foreign_requests),
        ]

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _on_request(self, request: Request) -> None:
        # The docs' assets are collected static files: nothing may come from elsewhere.
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            self.foreign_requests.append(request.url)

    def _on_response(self, response: Response) -> None:
        # A 404 for an asset is not a failed request to Chromium, but it is a broken page.
        if response.status >= 400:
            self.error_responses.append(f"{response.status} {response.request.method} {response.url}")


def launch_chromium(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        # Fail rather than skip: a browser test that silently did not run proves nothing.
        pytest.fail(f"Chromium not found: apt-get install chromium (looked for {CHROMIUM})")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=TIMEOUT_MS)


@contextmanager
def docs_page(
    playwright: Playwright, server: LiveServer, path: str, operation_selector: str
) -> Iterator[tuple[Page, BrowserProblems]]:
    """A docs page in a fresh browser (no stored authorization from an earlier test), once it shows the API."""
    browser = launch_chromium(playwright)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        problems = BrowserProblems(origin=server.url)
        problems.watch(page)
        page.goto(f"{server.url}{path}")
        # The operations are rendered only once the schema has been fetched and parsed.
        expect(page.locator(operation_selector).first).to_be_visible(timeout=TIMEOUT_MS)
        yield page, problems
    finally:
        browser.close()


def swagger_ui(playwright: Playwright, server: LiveServer) -> AbstractContextManager[tuple[Page, BrowserProblems]]:
    return docs_page(playwright, server, "/api/docs/", ".opblock")


def operation(page: Page, method: str, path: str) -> Locator:
    # By method and exact path: the DOM ids derive from operationIds and tags, which may change.
    return page.locator(f".opblock-{method.lower()}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )


def expand_and_try_it_out(page: Page, method: str, path: str) -> Locator:
    block = operation(page, method, path)
    expect(block).to_have_count(1)
    block.locator(".opblock-summary-control").click()
    expect(block).to_have_class(re.compile(r"\bis-open\b"))
    block.get_by_role("button", name="Try it out").click()
    expect(block.get_by_role("button", name="Execute")).to_be_visible()
    return block


def choose_header(block: Locator, name: str, value: str) -> None:
    block.locator(f'tr[data-param-name="{name}"][data-param-in="header"] select').select_option(value)


def execute(block: Locator) -> Locator:
    """Press Execute and return the live response, once Swagger UI has rendered it."""
    block.get_by_role("button", name="Execute").click()
    live_response = block.locator(".live-responses-table tr.response")
    expect(live_response.locator(".response-col_status")).to_be_visible(timeout=TIMEOUT_MS)
    return live_response


def shown_status(live_response: Locator) -> str:
    return live_response.locator(".response-col_status").inner_text().strip()


def shown_headers(live_response: Locator) -> dict[str, str]:
    """The "Response headers" block: one `.headerline` per header, names in lower case."""
    lines = live_response.locator(".response-col_description .headerline")
    expect(lines.first).to_be_visible()
    headers = {}
    for line in lines.all_inner_texts():
        name, _, value = line.strip().partition(":")
        headers[name.strip()] = value.strip()
    return headers


def shown_body(live_response: Locator) -> str:
    return live_response.locator(".response-col_description .highlight-code code").inner_text()


def authorize_with_basic_auth(page: Page, username: str, password: str) -> None:
    page.locator(".auth-wrapper").get_by_role("button", name="Authorize").click()
    modal = page.locator(".dialog-ux .modal-ux")
    # The modal has one form per security scheme; cookieAuth's is not the one.
    basic = modal.locator(".auth-container form").filter(has=page.locator("code", has_text="basicAuth"))
    basic.locator("input[name=username]").fill(username)
    basic.locator("input[name=password]").fill(password)
    basic.get_by_role("button", name="Apply credentials").click()
    expect(basic.locator("h6", has_text="Authorized")).to_be_visible()
    basic.get_by_role("button", name="Close").click()
    expect(modal).to_be_hidden()


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=full_page)


def get_json(server: LiveServer, path: str) -> tuple[int, dict[str, str], dict]:
    connection = server.connection()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        connection.close()


def test_list_articles_on_the_primary(playwright: Playwright, server: LiveServer) -> None:
    with swagger_ui(playwright, server) as (page, problems):
        articles_list = expand_and_try_it_out(page, "GET", "/api/articles/")
        choose_header(articles_list, "X-DB-Alias", "primary")
        live_response = execute(articles_list)
        # Before asserting: when the test fails, the screenshot shows what the page said.
        save_screenshot(page, "swagger-list-primary.png")

        assert shown_status(live_response) == "200"
        headers = shown_headers(live_response)
        assert headers.get("x-db-alias") == "primary", headers
        assert headers.get("x-db-route-reason") == "header", headers

    assert problems.all() == []


def test_create_an_article_after_basic_login(playwright: Playwright, server: LiveServer) -> None:
    article = {"title": "Written from Swagger UI", "body": "Posted by the browser test through Try it out."}
    with swagger_ui(playwright, server) as (page, problems):
        authorize_with_basic_auth(page, DEMO_USER, DEMO_PASSWORD)
        articles_create = expand_and_try_it_out(page, "POST", "/api/articles/")
        # X-DB-Alias is left empty: a write goes to the primary by itself.
        articles_create.locator("textarea.body-param__text").fill(json.dumps(article))
        live_response = execute(articles_create)
        save_screenshot(page, "swagger-create-article.png")

        assert shown_status(live_response) == "201", shown_body(live_response)
        headers = shown_headers(live_response)
        assert headers.get("x-db-alias") == "primary", headers
        assert headers.get("x-db-route-reason") == "unsafe-method", headers
        created = json.loads(shown_body(live_response))
        assert created["title"] == article["title"]
        assert created["author"] == DEMO_USER

    assert problems.all() == []

    # Outside the browser: the article is really stored, read back from the primary.
    status, headers, listing = get_json(server, "/api/articles/?db=primary")
    assert (status, headers["x-db-alias"]) == (200, "primary")
    stored = [row for row in listing["results"] if row["id"] == created["id"]]
    assert stored, listing
    assert (stored[0]["title"], stored[0]["author"]) == (article["title"], DEMO_USER)


def test_redoc_renders_the_api_from_this_origin_only(playwright: Playwright, server: LiveServer) -> None:
    # ReDoc gives operations no stable classes: its headings are their summaries.
    with docs_page(playwright, server, "/api/redoc/", "h2") as (page, problems):
        expect(page.get_by_role("heading", name="List articles, newest first")).to_be_visible()
        # Images and fonts may be requested after the first render: let them come (or not).
        page.wait_for_load_state("networkidle")
        # The first screen: ReDoc's whole page is tens of thousands of pixels high.
        save_screenshot(page, "redoc.png", full_page=False)

    assert problems.all() == []
