"""Browser fixtures: the real server in a subprocess (demo data, SQLite) and headless Chromium.

Chromium is Debian's (/usr/bin/chromium); nothing is downloaded. Where it is missing or will not
start, the browser tests skip, saying why, unless EVENTS_REQUIRE_BROWSER=1, where that is a
failure (the same pattern as EVENTS_REQUIRE_POSTGRES).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_BROWSER = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
REQUIRE_BROWSER = os.environ.get("EVENTS_REQUIRE_BROWSER") == "1"
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
    "MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F51) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
PHONE = {
    "viewport": {"width": 360, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": WECHAT_UA,
}


def _no_browser(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> str:
    """Base URL of `events serve` on a free port, with the demo data loaded."""
    tmp = tmp_path_factory.mktemp("browser-server")
    env = {
        **os.environ,
        "EVENTS_DATABASE_URL": f"sqlite:///{tmp}/b.sqlite3",
        "EVENTS_SECRET_KEY": "browser-tests-secret-key-not-for-production",
        "EVENTS_DATA_DIR": str(tmp),
        "PYTHONUNBUFFERED": "1",
    }
    demo = subprocess.run(
        [_bin("events"), "demo"], cwd=tmp, env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0, f"events demo failed:\n{demo.stdout}\n{demo.stderr}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [_bin("events"), "serve", "--port", str(port), "--quiet"],
            cwd=tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"events serve exited with {process.returncode}:\n{log_path.read_text()}"
                )
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"events serve did not answer /healthz in 30 s:\n{log_path.read_text()}"
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright's sync API.

    Module-scoped on purpose: while sync Playwright runs, its event loop (in a greenlet of this
    thread) counts as the thread's running loop, and pytest-asyncio's tests in later modules
    fail with "Runner.run() cannot be called from a running event loop". Stopping Playwright
    at the end of each browser module keeps the rest of the suite unaffected.
    """
    if not os.path.exists(CHROMIUM):
        _no_browser(NO_BROWSER)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _no_browser(f"{NO_BROWSER} ({error})")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Exception as error:
        playwright.stop()
        _no_browser(f"{NO_BROWSER} (launch failed: {error})")
    try:
        yield instance
    finally:
        instance.close()
        playwright.stop()


@dataclass
class Phone:
    """A page in a fresh 360×780 WeChat-like phone context, and every URL it requested."""

    base: str
    context: object
    page: object
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def foreign_requests(self) -> list[str]:
        host = urlsplit(self.base).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != host
        ]


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(base_url=server, accept_downloads=True, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    device = Phone(base=server, context=context, page=page)
    context.on("request", lambda request: device.requests.append(request.url))
    try:
        yield device
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
