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
2. **Kernel**: a kernel started with jupyter_client runs the cell (as in Voila: the
   saved spec found, no kaleido images): start and cell, wall and the kernel's CPU.
3. **Speed**: it opens the notebook in Voila (nbdash template) with headless Chromium
   ``--runs`` times and times, with the page's own clock, navigation start to the
   moment the sixth chart has been drawn by plotly (and to the tiles first shown),
   with a breakdown from the view's performance marks (document, widget render,
   gridstack and plotly loads, each chart drawn) and the CPU seconds the Voila
   process tree and Chromium spent meanwhile, beside the load average. Plain Voila
   executes the notebook per request, so that time includes a kernel start and the
   cell's run; preheated (``nbdash.publish.voila.voila_options``, what ``nbdash
   demo`` uses) a pool kernel has run it before the visitor comes. Target: 3 s.

4. **Floor** (``--floor``, instead of the steps above): what Voila costs before nbdash
   does anything. Preheated Voila, with the nbdash template and with Voila's own lab
   template, serves (a) a notebook with no widget, (b) one ipywidgets slider, (c) an
   nbdash dashboard of one chart and (d) the six-chart dashboard. The eight servers
   run at once and are loaded in turn, each load after every server is idle again (its
   pool refilled), and timed from navigation start to the page's content shown: the
   cells visible (a), the slider drawn (b), the charts drawn (c, d).

Run from the repository root, alone on an idle machine (Chromium and Playwright as for
the browser tests)::

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 3] [--keep] [--no-size]
        [--voila plain|preheat|both] [--floor]

Results are printed and written to ``benchmarks/results/dashboard.json`` (the floor to
``benchmarks/results/dashboard_floor.json``).
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
from nbdash.publish.voila import voila_options  # noqa: E402

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


# What the page's own clock recorded (ms from navigation start): the document's
# arrival, the widget's render, gridstack and plotly (fetched and parsed: the
# dashboard view and js/shared/plotly.ts leave performance marks), each chart drawn.
BREAKDOWN = """() => {
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const first = (name) => performance.getEntriesByName(name)[0];
  const plotlyFile = performance.getEntriesByType('resource')
    .find((entry) => entry.name.includes('plotly-cartesian'));
  const plots = performance.getEntriesByName('nbdash:plot')
    .map((entry) => [entry.startTime, entry.duration]);
  const span = (entry) => entry ? [entry.startTime, entry.duration] : null;
  return {
    first_byte: nav.responseStart, document_end: nav.responseEnd,
    dom_content_loaded: nav.domContentLoadedEventEnd, load_event: nav.loadEventEnd,
    widget_render: (first('nbdash:render') || {}).startTime ?? null,
    gridstack: span(first('nbdash:gridstack-load')),
    plotly: span(first('nbdash:plotly-load')),
    plotly_fetch: plotlyFile ? [plotlyFile.startTime,
      plotlyFile.responseEnd - plotlyFile.startTime, plotlyFile.encodedBodySize] : null,
    plots: plots,
  };
}"""


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


def build_notebook(
    folder: Path, charts: int = CHARTS, template: str = "nbdash"
) -> Path:
    """Write the notebook with its saved dashboard of the first ``charts`` charts.

    Returns its path; ``template`` is the Voila template its metadata selects.
    """
    from nbdash.charts import ChartSpec
    from nbdash.dashboard import DashboardModel, DashboardSpec
    from nbdash.examples import sales_frame
    from nbdash.workspace import Workspace

    ws = Workspace()
    ws.put("sales", sales_frame())
    model = DashboardModel(DashboardSpec(name="sales"), ws)
    for fields in chart_specs()[:charts]:
        model.add_chart(ChartSpec.model_validate(fields))
    failed = {k: v["error"] for k, v in model.contents.items() if "error" in v}
    if failed:
        raise SystemExit(f"a benchmark chart does not draw: {failed}")

    path = folder / "dashboard.ipynb"
    harness.write_notebook(
        path,
        [("code", CELL)],
        nbdash=model.spec.to_metadata(),
        voila={"template": template},
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


def measure_voila(notebook: Path, runs: int, preheat: bool) -> dict[str, Any]:
    """Median and all times from navigation start to the sixth chart drawn.

    ``preheat`` starts Voila as ``nbdash demo`` does (:func:`voila_options`): a
    pool of kernels that already ran the notebook waits for the next visitor.
    """
    from playwright.sync_api import sync_playwright

    port = harness.free_port()
    extensions = harness.copy_lab_extension(notebook.parent)
    options = voila_options(notebook, preheat=preheat)
    command = harness.voila_command(notebook, port, extensions, *options)
    server = harness.start_server("voila", command, notebook.parent, port, "", None)
    loads: list[dict[str, Any]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for _ in range(runs + 1):  # the first load warms Voila's caches
                if preheat:
                    time.sleep(PREHEAT_WAIT_S)  # a pool kernel runs the notebook
                loads.append({**_one_load(browser, server.url, server.process.pid),
                              "load_average": load_average()})  # fmt: skip
            browser.close()
    finally:
        server.stop()
    measured = [load["drawn_seconds"] for load in loads[1:]]
    tiles = [load["tiles_seconds"] for load in loads[1:]]
    return {
        "preheat": preheat,
        "warm_up_seconds": round(loads[0]["drawn_seconds"], 3),
        "seconds": [round(t, 3) for t in measured],
        "median_seconds": round(statistics.median(measured), 3),
        # Navigation to the widget's tiles on the page (kernel started, cell run).
        "tiles_shown_median_seconds": round(statistics.median(tiles), 3),
        "under_target": statistics.median(measured) <= DRAW_TARGET_S,
        "loads": loads,
    }


def _one_load(browser: Any, url: str, server_pid: int) -> dict[str, Any]:
    """One page load: times from the page's clock and CPU seconds spent meanwhile."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    before = _cpu_seconds(server_pid), _cpu_seconds(os.getpid(), only="chrom")
    try:
        page.goto(url, wait_until="commit", timeout=120_000)
        page.wait_for_function(TILES, timeout=120_000, polling=50)
        tiles_ms = page.evaluate("() => performance.now()")
        page.wait_for_function(DRAWN, timeout=120_000, polling=50)
        elapsed_ms = page.evaluate("() => performance.now()")
        breakdown = page.evaluate(BREAKDOWN)
        after = _cpu_seconds(server_pid), _cpu_seconds(os.getpid(), only="chrom")
        harness.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(harness.SCREENSHOTS / "bench_dashboard_voila.png"))
    finally:
        page.close()
    return {
        "tiles_seconds": float(tiles_ms) / 1000,
        "drawn_seconds": float(elapsed_ms) / 1000,
        "page_ms": _rounded(breakdown),
        "server_cpu_seconds": round(_delta(before[0], after[0]), 2),
        "browser_cpu_seconds": round(_delta(before[1], after[1]), 2),
    }


def _cpu_seconds(pid: int, only: str = "") -> dict[int, float]:
    """User + system CPU seconds of a process and its descendants, by pid.

    ``only`` keeps the processes whose name contains it (Chromium's, under this
    script's Playwright driver). A process that ends between two readings is missed.
    """
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    seconds: dict[int, float] = {}
    for process in processes:
        try:
            if only and only not in process.name():
                continue
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return seconds


def _delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def measure_kernel(notebook: Path) -> dict[str, Any]:
    """Kernel start and the cell's run: wall seconds and the kernel's CPU seconds.

    The work Voila does per request (plain) or before it (preheated kernels).
    """
    from jupyter_client.manager import start_new_kernel

    # As in a Voila kernel: the saved spec found, and (a live server's kernel) no
    # chart images rendered with kaleido for the static fallback.
    env = {"NBDASH_NOTEBOOK_PATH": str(notebook), "VOILA_KERNEL_ID": "benchmark"}
    os.environ.update(env)
    started = time.perf_counter()
    try:
        manager, client = start_new_kernel(
            kernel_name="python3", cwd=str(notebook.parent)
        )
    finally:
        for key in env:
            os.environ.pop(key, None)
    start_seconds = time.perf_counter() - started
    try:
        start_cpu = _kernel_value(client, "__import__('time').process_time()")
        begun = time.perf_counter()
        reply = client.execute_interactive(CELL, timeout=300, output_hook=_ignore)
        cell_seconds = time.perf_counter() - begun
        cell_cpu = _kernel_value(client, "__import__('time').process_time()")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"the benchmark cell failed: {reply['content']}")
    return {
        "kernel_start_seconds": round(start_seconds, 2),
        "kernel_start_cpu_seconds": round(start_cpu, 2),
        "cell_seconds": round(cell_seconds, 2),
        "cell_cpu_seconds": round(cell_cpu - start_cpu, 2),
    }


def _ignore(message: dict[str, Any]) -> None:
    return None


def _kernel_value(client: Any, expression: str) -> float:
    found: list[float] = []

    def hook(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            found.append(float(message["content"]["text"]))

    client.execute_interactive(f"print({expression})", timeout=60, output_hook=hook)
    return found[0]


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages."""
    return [round(value, 2) for value in os.getloadavg()]


FLOOR_RESULTS = REPO / "benchmarks" / "results" / "dashboard_floor.json"
FLOOR_TEMPLATES = ("nbdash", "lab")
FLOOR_TEXT = "voila-floor-ready"
IDLE_CPU_SECONDS = 0.05  # per second, all servers together: nothing is running

# Each returns the page's clock (ms) once the content is shown, else false.
_VISIBLE_CELLS = f"""() => {{
  const cells = document.getElementById('rendered_cells');
  return cells && cells.checkVisibility() && cells.textContent.includes(
    '{FLOOR_TEXT}') ? performance.now() : false;
}}"""
_VISIBLE_SLIDER = """() => {
  const slider = document.querySelector('.widget-hslider .slider-container');
  return slider && slider.checkVisibility() ? performance.now() : false;
}"""


def _charts_drawn(count: int) -> str:
    return f"""() => {{
  const drawn = [...document.querySelectorAll(
    '.nbdash-dashboard .nbdash-chart[data-drawn="true"]')];
  return drawn.length >= {count} && drawn.every((chart) => chart.checkVisibility())
    ? performance.now() : false;
}}"""


FLOOR_CASES = {
    "no_widget": _VISIBLE_CELLS,
    "slider": _VISIBLE_SLIDER,
    "one_chart": _charts_drawn(1),
    "dashboard": _charts_drawn(CHARTS),
}
"""The floor's notebooks, each with what "shown" means for it."""


def floor_notebook(case: str, folder: Path, template: str) -> Path:
    """Write the floor notebook ``case`` into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    if case == "one_chart":
        return build_notebook(folder, charts=1, template=template)
    if case == "dashboard":
        return build_notebook(folder, template=template)
    cells = {
        "no_widget": [("markdown", "# Floor"), ("code", f"print('{FLOOR_TEXT}')")],
        "slider": [("code", "import ipywidgets\nipywidgets.IntSlider(3, max=10)")],
    }[case]
    path = folder / "floor.ipynb"
    return harness.write_notebook(path, cells, voila={"template": template})


def measure_floor(folder: Path, runs: int) -> list[dict[str, Any]]:
    """Every floor case under each template, preheated, loads interleaved."""
    from playwright.sync_api import sync_playwright

    servers: dict[tuple[str, str], Any] = {}
    try:
        for case in FLOOR_CASES:
            for template in FLOOR_TEMPLATES:
                notebook = floor_notebook(case, folder / f"{case}-{template}", template)
                servers[case, template] = _start_preheated(notebook)
        _wait_idle(list(servers.values()))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            loads = _floor_rounds(browser, servers, runs)
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return [_floor_summary(case, template, loads[case, template][1:])
            for case, template in servers]  # fmt: skip


def _start_preheated(notebook: Path) -> Any:
    port = harness.free_port()
    extensions = harness.copy_lab_extension(notebook.parent)
    options = voila_options(notebook)
    command = harness.voila_command(notebook, port, extensions, *options)
    return harness.start_server("voila", command, notebook.parent, port, "", None)


def _floor_rounds(
    browser: Any, servers: dict[tuple[str, str], Any], runs: int
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``runs + 1`` rounds of one load per server (the first warms Voila's caches).

    Before each load every server is idle: the previous page's kernel shut down and
    its replacement (started ``fill_delay`` later) done running the notebook.
    """
    from nbdash.publish.voila import FILL_DELAY_S

    loads: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in servers}
    for round_number in range(runs + 1):
        for (case, template), server in servers.items():
            load = _timed_load(browser, server, FLOOR_CASES[case])
            loads[case, template].append(load)
            print(f"  round {round_number} {case}/{template}: "
                  f"{load['shown_seconds']:.2f} s, browser "
                  f"{load['browser_cpu_seconds']:.2f} CPU s, server "
                  f"{load['server_cpu_seconds']:.2f} CPU s, "
                  f"load {load['load_average']}", flush=True)  # fmt: skip
            time.sleep(FILL_DELAY_S + 1)
            _wait_idle(list(servers.values()))
    return loads


def _timed_load(browser: Any, server: Any, shown: str) -> dict[str, Any]:
    """One page load: navigation start to ``shown``, and the CPU spent meanwhile."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    pid = server.process.pid
    before = _cpu_seconds(pid), _cpu_seconds(os.getpid(), only="chrom")
    average = load_average()
    try:
        page.goto(server.url, wait_until="commit", timeout=120_000)
        shown_ms = page.wait_for_function(shown, timeout=120_000, polling=20)
        after = _cpu_seconds(pid), _cpu_seconds(os.getpid(), only="chrom")
        shown_seconds = float(shown_ms.json_value()) / 1000
        breakdown = page.evaluate(BREAKDOWN)
    finally:
        # Voila's page shuts its kernel down on unload, as a visitor's would.
        page.close(run_before_unload=True)
    return {
        "shown_seconds": round(shown_seconds, 3),
        "page_ms": _rounded(breakdown),
        "server_cpu_seconds": round(_delta(before[0], after[0]), 2),
        "browser_cpu_seconds": round(_delta(before[1], after[1]), 2),
        "load_average": average,
    }


def _wait_idle(servers: list[Any], limit_s: float = 180.0) -> None:
    """Return once the servers' process trees spent almost no CPU for a second."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = [_cpu_seconds(server.process.pid) for server in servers]
        time.sleep(1.0)
        after = [_cpu_seconds(server.process.pid) for server in servers]
        busy = sum(_delta(b, a) for b, a in zip(before, after, strict=True))
        if busy < IDLE_CPU_SECONDS:
            return
    print(f"  servers still busy after {limit_s:.0f} s; measuring anyway")


def _floor_summary(
    case: str, template: str, loads: list[dict[str, Any]]
) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(statistics.median(load[key] for load in loads), 3)

    return {
        "case": case,
        "template": template,
        "shown_median_seconds": median("shown_seconds"),
        "browser_cpu_median_seconds": median("browser_cpu_seconds"),
        "server_cpu_median_seconds": median("server_cpu_seconds"),
        "load_average_1min": [load["load_average"][0] for load in loads],
        "loads": loads,
    }


def report_floor(rows: list[dict[str, Any]]) -> None:
    """Print the floor table and write it to ``FLOOR_RESULTS``."""
    print(f"{'case':<10} {'template':<8} {'shown s':>8} {'browser CPU s':>14} "
          f"{'server CPU s':>13}  loads (1 min)")  # fmt: skip
    for row in rows:
        print(f"{row['case']:<10} {row['template']:<8} "
              f"{row['shown_median_seconds']:>8.2f} "
              f"{row['browser_cpu_median_seconds']:>14.2f} "
              f"{row['server_cpu_median_seconds']:>13.2f}  "
              f"{row['load_average_1min']}")  # fmt: skip
    FLOOR_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    report = {"floor": rows, "machine": machine}
    FLOOR_RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed Voila page loads")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--no-size", action="store_true", help="skip the size step")
    parser.add_argument(
        "--voila",
        choices=["plain", "preheat", "both"],
        default="both",
        help="Voila as started by default, as nbdash demo starts it, or both",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="time Voila's floor (no widget, a slider, one chart, six charts) instead",
    )
    args = parser.parse_args(argv)
    if args.floor:
        return run_floor(args.runs, args.keep)
    modes = {"plain": [False], "preheat": [True], "both": [False, True]}[args.voila]

    folder = Path(tempfile.mkdtemp(prefix="nbdash-bench-dashboard-"))
    try:
        notebook = build_notebook(folder)
        size = {} if args.no_size else measure_size(notebook)
        if size:
            print(f"saved notebook: {size['bytes'] / 1024:.1f} KB "
                  f"(widget state {size['widget_state_bytes'] / 1024:.1f} KB, "
                  f"largest _esm {size['largest_esm_bytes'] / 1024:.1f} KB); "
                  f"target < {SIZE_TARGET / 1024:.0f} KB")  # fmt: skip
        kernel = measure_kernel(notebook)
        print(f"kernel start {kernel['kernel_start_seconds']:.2f} s wall "
              f"({kernel['kernel_start_cpu_seconds']:.2f} s CPU in the kernel); "
              f"the cell {kernel['cell_seconds']:.2f} s wall, "
              f"{kernel['cell_cpu_seconds']:.2f} s CPU; "
              f"load {load_average()}")  # fmt: skip
        voila = [measure_voila(notebook, args.runs, preheat) for preheat in modes]
        for result in voila:
            for load in result["loads"]:
                print(f"  load: {json.dumps(load)}")
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
    report = {"size": size, "kernel": kernel, "voila": voila, "machine": machine}
    RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


def run_floor(runs: int, keep: bool) -> int:
    """The ``--floor`` mode: measure, print the table, write the JSON."""
    folder = Path(tempfile.mkdtemp(prefix="nbdash-bench-floor-"))
    try:
        report_floor(measure_floor(folder, runs))
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
