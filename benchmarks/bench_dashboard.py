"""Size and speed of a saved 6-chart dashboard: the .ipynb on disk, Voila's draw.

The script builds a notebook whose metadata holds a saved dashboard of six charts
(bar, pie, bar of means, histogram, scatter, box) over plotly's ``tips`` data
(``nbdash.examples.sales_frame()``), and whose one cell loads the data and shows
``nbdash.Dashboard("sales")``. Then:

1. **Size**: it executes the notebook with nbclient and saves it WITH widget state
   (``store_widget_state=True``, what JupyterLab's "Save Widget State Automatically"
   does), as a kernel started by a live server would (``JPY_SESSION_NAME`` set, so the
   static fallback holds no images). Reported: bytes on disk, the widget-state share,
   and the largest widget's ``_esm``. Target: under 200 KB.
2. **Speed**: it opens the notebook in Voila (nbdash template) with headless Chromium
   ``--runs`` times and times, with the page's own clock, navigation start to the
   moment the sixth chart has been drawn by plotly (and to the tiles first shown).
   Plain Voila executes the notebook per request, so that time includes a kernel
   start and the cell's run; with ``--preheat_kernel`` (Voila's option for deployed
   dashboards) a kernel has run it before the visitor comes. Target: 3 s.

Run from the repository root, alone on an idle machine (Chromium and Playwright as for
the browser tests)::

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 3] [--keep]

Results are printed and written to ``benchmarks/results/dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

import harness  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "dashboard.json"
SIZE_TARGET = 200 * 1024
DRAW_TARGET_S = 3.0
CHARTS = 6
PREHEAT_WAIT_S = 40

CELL = """\
import nbdash
from nbdash.examples import sales_frame
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", sales_frame())
dash = nbdash.Dashboard("sales", workspace=ws)
dash
"""

# The widget's grid is on the page: the kernel has run the cell.
TILES = """() => document.querySelectorAll(
  '.nbdash-dashboard .grid-stack-item').length >= 6"""

DRAWN = f"""() => document.querySelectorAll(
  '.nbdash-dashboard .nbdash-chart[data-drawn="true"]').length >= {CHARTS}"""


def chart_specs() -> list[dict[str, Any]]:
    """The six charts, as ChartSpec fields."""
    base = {"dataset": "sales"}
    return [
        {**base, "kind": "bar", "x": "day", "y": "total_bill", "agg": "sum"},
        {**base, "kind": "pie", "x": "time", "y": "tip", "agg": "sum"},
        {**base, "kind": "bar", "x": "sex", "y": "total_bill", "agg": "mean"},
        {**base, "kind": "histogram", "x": "total_bill", "agg": "count"},
        {**base, "kind": "scatter", "x": "total_bill", "y": "tip"},
        {**base, "kind": "box", "x": "day", "y": "tip"},
    ]


def build_notebook(folder: Path) -> Path:
    """Write the notebook with its saved 6-chart dashboard; return its path."""
    from nbdash.charts import ChartSpec
    from nbdash.dashboard import DashboardModel, DashboardSpec
    from nbdash.examples import sales_frame
    from nbdash.workspace import Workspace

    ws = Workspace()
    ws.put("sales", sales_frame())
    model = DashboardModel(DashboardSpec(name="sales"), ws)
    for fields in chart_specs():
        model.add_chart(ChartSpec.model_validate(fields))
    failed = {k: v["error"] for k, v in model.contents.items() if "error" in v}
    if failed:
        raise SystemExit(f"a benchmark chart does not draw: {failed}")

    path = folder / "dashboard.ipynb"
    harness.write_notebook(
        path,
        [("code", CELL)],
        nbdash=model.spec.to_metadata(),
        voila={"template": "nbdash"},
    )
    model.close()
    return path


def measure_size(notebook: Path) -> dict[str, Any]:
    """Execute and save with widget state; the file's size and what fills it."""
    from nbclient import NotebookClient

    os.environ["JPY_SESSION_NAME"] = str(notebook)  # as under JupyterLab
    try:
        nb = nbformat.read(notebook, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(notebook.parent)}},
        )
        started = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - started
    finally:
        os.environ.pop("JPY_SESSION_NAME", None)

    saved = notebook.with_name("dashboard.saved.ipynb")
    nbformat.write(nb, saved)
    state = nb.metadata.get("widgets", {})
    states = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    esm = [len(str(s.get("state", {}).get("_esm", ""))) for s in states.values()]
    return {
        "bytes": saved.stat().st_size,
        "widget_state_bytes": len(json.dumps(state)),
        "widgets": len(states),
        "largest_esm_bytes": max(esm, default=0),
        "execute_seconds": round(seconds, 2),
        "under_target": saved.stat().st_size < SIZE_TARGET,
    }


def extension_copy(folder: Path) -> Path:
    # Voila refuses files reached through a symlinked folder (an editable install
    # links share/jupyter/labextensions/nbdash into src/): serve a real copy.
    target = folder / "labextensions"
    shutil.copytree(REPO / "src" / "nbdash" / "labextension", target / "nbdash")
    return target


def voila_command(notebook: Path, port: int, extensions: Path) -> list[str]:
    return [
        sys.executable, "-m", "voila", notebook.name, "--no-browser",
        f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
        f"--VoilaConfiguration.extra_labextensions_path={extensions}",
    ]  # fmt: skip


def measure_voila(notebook: Path, runs: int, preheat: bool) -> dict[str, Any]:
    """Median and all times from navigation start to the sixth chart drawn.

    ``preheat`` starts Voila with ``--preheat_kernel=True``: kernels that already
    ran the notebook wait for the next visitor (Voila's deployment option).
    """
    from playwright.sync_api import sync_playwright

    port = harness.free_port()
    extensions = notebook.parent / "labextensions"
    if not extensions.exists():
        extension_copy(notebook.parent)
    command = voila_command(notebook, port, extensions)
    if preheat:
        command.append("--preheat_kernel=True")
    server = harness.start_server("voila", command, notebook.parent, port, "", None)
    times: list[tuple[float, float]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for _ in range(runs + 1):  # the first load warms Voila's caches
                times.append(_one_load(browser, server.url))
                if preheat:
                    time.sleep(PREHEAT_WAIT_S)  # the next kernel runs the notebook
            browser.close()
    finally:
        server.stop()
    measured = [drawn for _, drawn in times[1:]]
    tiles = [shown for shown, _ in times[1:]]
    return {
        "preheat": preheat,
        "warm_up_seconds": round(times[0][1], 3),
        "seconds": [round(t, 3) for t in measured],
        "median_seconds": round(statistics.median(measured), 3),
        # Navigation to the widget's tiles on the page (kernel started, cell run).
        "tiles_shown_median_seconds": round(statistics.median(tiles), 3),
        "under_target": statistics.median(measured) <= DRAW_TARGET_S,
    }


def _one_load(browser: Any, url: str) -> tuple[float, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url, wait_until="commit", timeout=120_000)
        page.wait_for_function(TILES, timeout=120_000, polling=50)
        tiles_ms = page.evaluate("() => performance.now()")
        page.wait_for_function(DRAWN, timeout=120_000, polling=50)
        elapsed_ms = page.evaluate("() => performance.now()")
        harness.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(harness.SCREENSHOTS / "bench_dashboard_voila.png"))
        return float(tiles_ms) / 1000, float(elapsed_ms) / 1000
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed Voila page loads")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument(
        "--voila",
        choices=["plain", "preheat", "both"],
        default="both",
        help="Voila as started by default, with --preheat_kernel, or both",
    )
    args = parser.parse_args(argv)
    modes = {"plain": [False], "preheat": [True], "both": [False, True]}[args.voila]

    folder = Path(tempfile.mkdtemp(prefix="nbdash-bench-dashboard-"))
    try:
        notebook = build_notebook(folder)
        size = measure_size(notebook)
        print(f"saved notebook: {size['bytes'] / 1024:.1f} KB "
              f"(widget state {size['widget_state_bytes'] / 1024:.1f} KB, "
              f"largest _esm {size['largest_esm_bytes'] / 1024:.1f} KB); "
              f"target < {SIZE_TARGET / 1024:.0f} KB")  # fmt: skip
        voila = [measure_voila(notebook, args.runs, preheat) for preheat in modes]
        for result in voila:
            print(f"Voila{' (preheated kernels)' if result['preheat'] else ''}, "
                  f"navigation to {CHARTS} charts drawn: median "
                  f"{result['median_seconds']:.2f} s of {result['seconds']} "
                  f"(tiles shown {result['tiles_shown_median_seconds']:.2f} s, "
                  f"warm-up {result['warm_up_seconds']:.2f} s); "
                  f"target {DRAW_TARGET_S} s")  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    report = {"size": size, "voila": voila, "machine": machine}
    RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
