"""The API docs pages reference their own origin only: they work offline and behind firewalls.

A fast check of the HTML the views render; tests/browser/test_swagger_ui.py checks
what the browser actually requests, including what the bundles load by themselves.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.conftest import routed_db

# The routing middleware opens the chosen database's connection on every request.
pytestmark = routed_db

# Attributes whose value the browser fetches or navigates to.
URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "poster", "data", "spec-url"}
# In <style> and inline scripts: url(...), @import "...", and any quoted string holding a URL.
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")
QUOTED_URL = re.compile(r"""['"`]((?:[a-z][a-z0-9+.-]*:)?//[^'"`\s]*)""", re.IGNORECASE)
JS_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


class References(HTMLParser):
    """Every URL a page refers to, from its tags, styles and inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_code = tag in {"script", "style"}
        for name, value in attrs:
            if value is None:
                continue
            if name == "srcset":
                # "url width, url width": one URL per candidate.
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name in URL_ATTRIBUTES:
                self.urls.append(value)
            elif name == "style":
                self._scan_code(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self._scan_code(data)

    def _scan_code(self, text: str) -> None:
        # "\u002F\u002Fhost" in a JS string is "//host" too.
        text = JS_UNICODE_ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)
        self.urls += [url or imported for url, imported in CSS_URL.findall(text)]
        self.urls += QUOTED_URL.findall(text)


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    parser.close()
    return list(dict.fromkeys(parser.urls))


def is_own_origin(url: str) -> bool:
    parts = urlsplit(url.strip())
    # data: URIs are inline content, not requests.
    return not parts.netloc and parts.scheme in {"", "data"}


@pytest.mark.parametrize(
    ("path", "bundle"),
    [
        # Without the extension: with DEBUG off, collected names carry a hash.
        ("/api/docs/", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle."),
        ("/api/redoc/", "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone."),
    ],
)
def test_docs_page_references_only_its_own_origin(path: str, bundle: str, settings):
    settings.WHITENOISE_USE_FINDERS = True  # the test runner turns DEBUG off
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    urls = references(html)

    # Not vacuous: the parser found the bundle from the sidecar, and this service serves it.
    [bundle_url] = [url for url in urls if url.startswith(bundle) and url.endswith(".js")]
    assert Client().get(bundle_url).status_code == 200
    assert [url for url in urls if not is_own_origin(url)] == []
    # And nothing the parser could have missed, however it is written.
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE) == []


def test_redoc_loads_the_schema_from_this_service():
    html = Client().get("/api/redoc/").content.decode()
    assert "/api/schema/" in references(html)


def test_references_finds_foreign_urls():
    # The checker itself: each way a page can point elsewhere is seen.
    html = """
        <link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Roboto">
        <img srcset="/a.png 1x, //cdn.example/b.png 2x">
        <style>@import "https://cdn.example/x.css"; body { background: url(//cdn.example/y.png) }</style>
        <script>const u = "https:\\u002F\\u002Fcdn.example/z.js";</script>
    """
    foreign = [url for url in references(html) if not is_own_origin(url)]
    assert foreign == [
        "https://fonts.googleapis.com/css2?family=Roboto",
        "//cdn.example/b.png",
        "https://cdn.example/x.css",
        "//cdn.example/y.png",
        "https://cdn.example/z.js",
    ]
