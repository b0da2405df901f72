"""Real-browser harness: JupyterLab and Voila servers driven by headless Chromium.

Every test in this folder is marked ``browser``. When Chromium (Debian's, at
``/usr/bin/chromium`` or ``$NBDASH_CHROMIUM``) or Playwright is missing the tests skip
with the reason, unless ``NBDASH_REQUIRE_BROWSER`` is set (CI sets it): then they fail.

Servers listen on 127.0.0.1 on a free port with a random token, run in their own
process group (killed as a group on teardown) and log to
``test-artifacts/logs/``. Each test leaves a screenshot in
``test-artifacts/screenshots/<test name>.png``. The servers are slow to start on a
small machine, so timeouts are generous; run these tests serially.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import (
    LOGS,
    UI_TIMEOUT_MS,
    Server,
    copy_lab_extension,
    file_name,
    free_port,
    lab_command,
    screenshot,
    start_server,
    voila_command,
)

CHROMIUM = Path(os.environ.get("NBDASH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# -- skipping or failing when the browser is missing ---------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _missing_browser_reason() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"Chromium not found at {CHROMIUM}; run scripts/install-chromium.sh "
            "or set NBDASH_CHROMIUM to a Chromium binary"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing; pip install 'nbdash[dev]'"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of the Chromium binary; skips (or fails under CI) when it is missing."""
    reason = _missing_browser_reason()
    if reason is None:
        return CHROMIUM
    if os.environ.get("NBDASH_REQUIRE_BROWSER"):
        pytest.fail(f"NBDASH_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


# -- servers -------------------------------------------------------------------------


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    """An empty folder for the notebooks a test serves."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    return folder


@pytest.fixture
def lab_server(chromium_path: Path, notebook_dir: Path) -> Iterator[Server]:
    """JupyterLab serving ``notebook_dir``, with ``window.jupyterapp`` exposed."""
    port, token = free_port(), secrets.token_hex(16)
    command = lab_command(notebook_dir, port, token)
    server = start_server("lab", command, notebook_dir, port, token, "api/status")
    yield server
    server.stop()


@pytest.fixture
def voila_server(chromium_path: Path) -> Iterator[Any]:
    """Factory: ``voila_server(notebook_path, *options)`` starts Voila on that notebook.

    Voila gets a real copy of nbdash's lab extension beside the notebook (it refuses
    files in the symlinked folder of an editable install); ``options`` are more
    command-line options. The server is stopped on teardown. Voila renders the
    notebook at its base URL.
    """
    started: list[Server] = []

    def start(notebook: Path, *options: str) -> Server:
        port = free_port()
        extensions = copy_lab_extension(notebook.parent)
        command = voila_command(notebook, port, extensions, *options)
        server = start_server("voila", command, notebook.parent, port, "", None)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# -- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; its screenshot is saved on teardown, pass or fail."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    console: list[str] = []
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

    yield tab

    screenshot(tab, request.node.name)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{file_name(request.node.name)}.console.log").write_text(
        "\n".join(console)
    )
    context.close()
