"""Helpers for the browser tests: servers, screenshots, JupyterLab commands.

The fixtures in ``conftest.py`` use these; tests import them as ``from harness import``
(pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
LOGS = ARTIFACTS / "logs"

SERVER_START_TIMEOUT = 120.0
"""Seconds to wait for a server's readiness endpoint; JupyterLab needs 20-40 s here."""

UI_TIMEOUT_MS = 90_000
"""Default Playwright timeout: first loads of JupyterLab are slow on two cores."""

# JupyterLab asks about news and updates in a toast that can cover the notebook.
LAB_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass
class Server:
    """A Jupyter server process started by a fixture."""

    url: str
    """Base URL, ending with ``/``."""
    token: str
    """The server's token ("" when it has none)."""
    root: Path
    """The folder the server serves notebooks from."""
    log: Path
    """File receiving the server's stdout and stderr."""
    process: subprocess.Popen[bytes] = field(repr=False)

    def page_url(self, path: str) -> str:
        """Return ``url + path`` with the token as a query parameter."""
        separator = "&" if "?" in path else "?"
        suffix = f"{separator}token={self.token}" if self.token else ""
        return f"{self.url}{path.lstrip('/')}{suffix}"

    def stop(self) -> None:
        """Stop the server's whole process group (kernels included)."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Kernels import the nbdash under test even when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in [str(REPO / "src"), env.get("PYTHONPATH", "")] if part
    )
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    overlay = _checkout_data_dir(home)
    if overlay is not None:
        env["JUPYTER_PATH"] = os.pathsep.join(
            part for part in [str(overlay), env.get("JUPYTER_PATH", "")] if part
        )
    env["JUPYTERLAB_SETTINGS_DIR"] = str(home / "lab-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(home / "lab-workspaces")
    env.pop("NBDASH_NOTEBOOK_PATH", None)
    return env


def _checkout_data_dir(home: Path) -> Path | None:
    """Expose the checkout's lab extension and Voila template when not installed.

    ``pip install -e .`` puts them under ``<prefix>/share/jupyter``; without it, a
    Jupyter data folder of symlinks into ``src/`` serves the same files.
    """
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "nbdash"
    built = REPO / "src" / "nbdash" / "labextension"
    if installed.exists() or not (built / "package.json").exists():
        return None

    data = home / "jupyter-data"
    links = {
        data / "labextensions" / "nbdash": built,
        data / "voila" / "templates" / "nbdash": REPO
        / "src/nbdash/publish/voila_template",
    }
    for link, target in links.items():
        if target.exists() and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target, target_is_directory=True)
    return data


def _write_lab_settings(home: Path) -> None:
    for relative, values in LAB_USER_SETTINGS.items():
        path = home / "lab-settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def start_server(
    name: str,
    command: list[str],
    root: Path,
    port: int,
    token: str,
    ready_path: str | None,
) -> Server:
    """Start ``command`` in its own process group and wait until it answers.

    Parameters
    ----------
    name
        Used to name the log file.
    command
        The full command line.
    root
        Working directory, and the folder the server serves.
    port, token
        Where it listens and the token it expects ("" for none).
    ready_path
        Path polled until it answers 200; ``None`` to accept any HTTP answer to the
        base URL's ``voila/static/`` (Voila's single-notebook mode has no
        ``/api/status``, and its base URL would execute the notebook).
    """
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}-{port}.log"
    home = root.parent / f".{name}-{port}-home"
    _write_lab_settings(home)

    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=_server_environment(home),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}/", token, root, log, process)

    try:
        _wait_ready(server, ready_path)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: Server, ready_path: str | None) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    path = ready_path if ready_path is not None else "voila/static/"
    request = urllib.request.Request(server.url + path.lstrip("/"))
    if server.token:
        request.add_header("Authorization", f"token {server.token}")

    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-3000:]
            pytest.fail(f"server exited with {server.process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError:
            if ready_path is None:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(
        f"server not ready after {SERVER_START_TIMEOUT:.0f} s; log: {server.log}"
    )


def file_name(test_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{file_name(name)}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as error:  # a closed or crashed page has nothing to show
        path.with_suffix(".txt").write_text(f"no screenshot: {error}")
    return path


# -- JupyterLab helpers --------------------------------------------------------------


def open_notebook(page: Any, server: Server, path: str) -> None:
    """Open ``path`` (relative to the server root) in JupyterLab; await its kernel."""
    page.goto(server.page_url(f"lab/tree/{path}"))
    page.wait_for_function("() => window.jupyterapp !== undefined")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    wait_for_kernel_idle(page)


_CURRENT_PANEL = """
() => {
  const widget = window.jupyterapp.shell.currentWidget;
  if (!widget || !widget.sessionContext) { return null; }
  return widget;
}
"""


def has_nbdash_extension(page: Any) -> bool:
    """Whether JupyterLab activated nbdash's notebook-metadata plugin."""
    check = "() => window.jupyterapp.isPluginActivated('nbdash:notebook-metadata')"
    return bool(page.evaluate(check))


def wait_for_kernel_idle(page: Any, timeout_ms: int = UI_TIMEOUT_MS) -> None:
    """Wait until the current notebook has a kernel and it is idle."""
    page.wait_for_function(
        f"""() => {{
          const panel = ({_CURRENT_PANEL})();
          const kernel = panel && panel.sessionContext.session
            && panel.sessionContext.session.kernel;
          return Boolean(kernel) && kernel.status === 'idle';
        }}""",
        timeout=timeout_ms,
    )


def run_all_cells(
    page: Any, timeout_ms: int = UI_TIMEOUT_MS, allow_errors: bool = False
) -> None:
    """Run every cell of the current notebook and wait until none is pending.

    Fails the test with the exception's name and message when a cell raised, unless
    ``allow_errors``.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # A prompt shows "[*]" while its cell is queued or running.
    page.wait_for_function(
        """() => {
          const prompts = document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt');
          return prompts.length > 0 && [...prompts].every(
            (p) => /\\[\\d+\\]/.test(p.textContent || ''));
        }""",
        timeout=timeout_ms,
    )
    wait_for_kernel_idle(page, timeout_ms)

    error = page.evaluate(_FIRST_CELL_ERROR)
    if error is not None and not allow_errors:
        pytest.fail(f"a notebook cell raised {error}", pytrace=False)


# Reads the notebook model, not the DOM: error outputs and stderr look alike there.
_FIRST_CELL_ERROR = f"""
() => {{
  const panel = ({_CURRENT_PANEL})();
  const cells = panel.content.model.cells;
  for (let i = 0; i < cells.length; i++) {{
    const cell = cells.get(i);
    if (cell.type !== 'code') {{ continue; }}
    for (let j = 0; j < cell.outputs.length; j++) {{
      const output = cell.outputs.get(j).toJSON();
      if (output.output_type === 'error') {{
        return `${{output.ename}}: ${{output.evalue}} (cell ${{i}})`;
      }}
    }}
  }}
  return null;
}}
"""


def save_notebook(page: Any) -> None:
    """Save the current notebook and wait until the document is clean."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        f"""() => {{
          const panel = ({_CURRENT_PANEL})();
          return panel !== null && panel.context.model.dirty === false;
        }}"""
    )


def write_notebook(path: Path, cells: list[tuple[str, str]], **metadata: Any) -> Path:
    """Write a notebook of ``(cell_type, source)`` pairs with a Python 3 kernelspec."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata.update(metadata)

    makers = {
        "code": nbformat.v4.new_code_cell,
        "markdown": nbformat.v4.new_markdown_cell,
    }
    notebook.cells = [makers[kind](source) for kind, source in cells]
    nbformat.write(notebook, path)
    return path


def lab_command(root: Path, port: int, token: str) -> list[str]:
    """The JupyterLab command line of the browser tests, with the app exposed."""
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--LabApp.expose_app_in_browser=True",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]


def copy_lab_extension(folder: Path) -> Path:
    """Copy nbdash's built lab extension into ``folder/labextensions/nbdash``.

    Returns ``folder/labextensions``, for Voila's ``extra_labextensions_path``. An
    editable install links ``share/jupyter/labextensions/nbdash`` into ``src/``, and
    Voila answers 403 for files behind a symlinked folder; the dashboard needs the
    extension's ``gridstack.js`` and ``plotly-cartesian.js``.
    """
    extensions = folder / "labextensions"
    source = REPO / "src" / "nbdash" / "labextension"
    shutil.copytree(source, extensions / "nbdash", dirs_exist_ok=True)
    return extensions


def voila_command(
    notebook: Path, port: int, extensions: Path, *extra: str
) -> list[str]:
    """Voila on ``notebook`` at 127.0.0.1:``port``, with the lab extension copy."""
    return [
        sys.executable, "-m", "voila", notebook.name, "--no-browser",
        f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
        f"--VoilaConfiguration.extra_labextensions_path={extensions}", *extra,
    ]  # fmt: skip


# -- dashboard tiles -----------------------------------------------------------------

# Boxes ([left, top, width, height]) of the window, a tile's frame, its chart body and
# the chart's svg, and which full-screen mode the tile is in.
_TILE_SCREEN = """
(id) => {
  const item = document.querySelector(
    `.nbdash-dashboard .grid-stack-item[gs-id="${id}"]`);
  const frame = item.querySelector('.grid-stack-item-content');
  const body = item.querySelector('.nbdash-chart');
  const box = (node) => { const r = node.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height]; };
  return {window: [0, 0, window.innerWidth, window.innerHeight], frame: box(frame),
          body: box(body), svg: box(body.querySelector('.main-svg')),
          api: document.fullscreenElement === frame,
          overlay: frame.classList.contains('nbdash-fullscreen')};
}
"""

# The chart's svg has been fitted to its tile body (plotly resizes after a frame).
_SVG_FITS = f"""
(id) => {{
  const s = ({_TILE_SCREEN})(id);
  return Math.abs(s.svg[2] - s.body[2]) <= 2 && Math.abs(s.svg[3] - s.body[3]) <= 2;
}}
"""


def tile_screen(page: Any, tile_id: str) -> dict[str, Any]:
    """Boxes of a dashboard tile, its chart and the window; the tile's full screen."""
    result: dict[str, Any] = page.evaluate(_TILE_SCREEN, tile_id)
    return result


def check_full_screen_round_trip(page: Any, tile_id: str, shot: str) -> dict[str, Any]:
    """Click a chart tile's "Full screen", check it fills the window, press Esc.

    The tile must take the browser's full screen (the Fullscreen API, not the
    fallback overlay), its frame must be the window's box and its chart's svg must
    fill the tile body; after Esc the chart is back at its size in the grid. The
    screenshot ``shot`` is taken in full screen. Returns the boxes seen then.
    """
    tile = page.locator(f'.nbdash-dashboard .grid-stack-item[gs-id="{tile_id}"]')
    # A chart just (re)drawn, by a theme change say, is fitted to its tile a frame on.
    _wait_for_tile(page, _SVG_FITS, tile_id, "the chart to fit its tile")
    before = tile_screen(page, tile_id)
    tile.get_by_role("button", name="Full screen").click()
    entered = f"(id) => ({_TILE_SCREEN})(id).api && ({_TILE_SCREEN})(id).overlay"
    _wait_for_tile(page, entered, tile_id, "the browser's full screen")
    wide = f"(id) => ({_SVG_FITS})(id) && ({_TILE_SCREEN})(id).svg[2] > innerWidth - 4"
    _wait_for_tile(page, wide, tile_id, "the chart to fill the window")
    full = tile_screen(page, tile_id)
    assert full["frame"] == pytest.approx(full["window"], abs=1)
    header = full["body"][1] - full["frame"][1]
    assert 0 < header < 60  # the body is the frame less the tile's title bar
    assert full["body"][3] == pytest.approx(full["window"][3] - header, abs=2)
    screenshot(page, shot)

    page.keyboard.press("Escape")
    left = f"(id) => !({_TILE_SCREEN})(id).api && !({_TILE_SCREEN})(id).overlay"
    _wait_for_tile(page, left, tile_id, "full screen to end")
    width = before["svg"][2]
    near = f"(id) => Math.abs(({_TILE_SCREEN})(id).svg[2] - {width}) <= 2"
    back = f"(id) => ({_SVG_FITS})(id) && ({near})(id)"
    _wait_for_tile(page, back, tile_id, f"the chart back at {width} px wide")
    return full


def _wait_for_tile(page: Any, condition: str, tile_id: str, what: str) -> None:
    """Wait for a JS ``condition(tile_id)``; on timeout fail with the tile's boxes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition, arg=tile_id, timeout=30_000)
    except PlaywrightTimeout:
        state = tile_screen(page, tile_id)
        pytest.fail(f"waited 30 s for {what}; tile {tile_id!r}: {state}", pytrace=False)
