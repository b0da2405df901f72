"""Upload a ~100 MB sales CSV through the Upload widget in a real JupyterLab.

The script writes a deterministic sales CSV (about 1.2 million rows) to a temporary
folder, starts JupyterLab with the browser tests' harness (``tests/browser``), opens
a notebook showing ``nbdash.Upload(workspace=..., dataset="sales")`` whose store lives
in that folder, and drives headless Chromium through Playwright: it sets the file on
the widget's file input, clicks Upload and waits until the upload is done.

Reported:

* wall time from the click to "done", split with the widget's status changes into the
  start handshake, the transfer (slices sent, hashed and acknowledged) and the ingest
  (``read_table`` + ``workspace.put``), timed by the kernel's clock;
* the kernel's RSS before the upload and its peak RSS (``VmHWM``) during it;
* the same file read by plain ``pandas.read_csv`` in a fresh process (the baseline),
  its time and peak RSS, and the ratios.

The results are printed as a table and written to
``benchmarks/results/upload_browser.json``. Needs Chromium (``/usr/bin/chromium`` or
``$NBDASH_CHROMIUM``) and Playwright, like the browser tests. Run it alone on an idle
machine, from the repository root::

    .venv/bin/python benchmarks/bench_upload_browser.py [--rows 1200000] [--keep]
    .venv/bin/python benchmarks/bench_upload_browser.py --size 1GB

JupyterLab's log goes to ``test-artifacts/logs/``; on failure a screenshot is saved to
``test-artifacts/screenshots/bench_upload_browser.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]
# The browser tests import their helpers as top-level modules; so does this script.
sys.path.insert(0, str(REPO / "tests" / "browser"))

import harness  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "upload_browser.json"
DEFAULT_ROWS = 1_200_000
SEED = 20240611
UPLOAD_TIMEOUT_MS = 20 * 60 * 1000
"""The upload of 100 MB in acknowledged 1 MiB slices can take minutes on two cores."""

REGIONS = ["North", "South", "East", "West", "Central"]
PRODUCTS = [
    "Espresso Machine Pro 3000, Brushed Stainless Steel",
    "Cordless Stick Vacuum with Extra Battery and Dock",
    "Noise Cancelling Over-Ear Headphones, Midnight Blue",
    "Ergonomic Office Chair with Adjustable Lumbar Pad",
    "4K Ultra HD Smart Television, 55 inch Wall Mount",
    "Stainless Steel Cookware Set, 10 Pieces with Lids",
    "Electric Standing Desk Frame with Memory Presets",
    "Robot Lawn Mower for Gardens up to 800 Square Meters",
]

NOTEBOOK_CELL = """\
import json
import time
from pathlib import Path

import nbdash

workspace = nbdash.Workspace(store=nbdash.Store({store!r}))
upload = nbdash.Upload(workspace=workspace, dataset="sales")

# Benchmark probe: the kernel's clock at each status change, kept in a file.
_marks = []


def _mark(change):
    rows = upload.report.get("rows") if change["new"] == "done" else None
    _marks.append({{"status": change["new"], "time": time.time(), "rows": rows}})
    Path({marks!r}).write_text(json.dumps(_marks))


upload.observe(_mark, names="status")
upload
"""

# Records, with the browser's clock, the click on Upload and what the widget shows.
BROWSER_PROBE = """
(root) => {
  const marks = { click: null, firstSlice: null, lastSlice: null, reading: null,
                  done: null, failed: null, text: '' };
  const button = [...root.querySelectorAll('button')]
    .find((b) => b.textContent === 'Upload');
  const progress = root.querySelector('progress + span');
  button.addEventListener('click', () => { marks.click = Date.now(); },
                          { capture: true });
  const look = () => {
    const text = progress.textContent || '';
    const banner = root.querySelector('.nbdash-error');
    const now = Date.now();
    marks.text = text;
    if (text.includes(' of ')) {
      marks.firstSlice = marks.firstSlice || now;
      marks.lastSlice = now;
    }
    if (text.startsWith('Reading') && !marks.reading) { marks.reading = now; }
    if (text.startsWith('Done') && !marks.done) { marks.done = now; }
    const error = banner && !banner.hidden && banner.textContent;
    const failed = text === 'Upload failed.' || text.startsWith('Reading failed');
    if ((failed || error) && !marks.failed) {
      marks.failed = now;
      marks.error = error || text;
    }
  };
  new MutationObserver(look).observe(
    root, { subtree: true, childList: true, characterData: true, attributes: true });
  window.__nbdashBench = marks;
}
"""


class BenchmarkError(RuntimeError):
    """The benchmark could not complete."""


@dataclass
class Memory:
    """Resident memory of one process, in MiB."""

    rss: float
    peak: float


@dataclass
class Baseline:
    """``pandas.read_csv`` of the file in a fresh process."""

    seconds: float
    rss_after_import: float
    peak_rss: float
    rows: int


@dataclass
class UploadRun:
    """One upload through the widget, with the kernel's memory around it."""

    seconds_click_to_done: float
    phases: dict[str, float]
    kernel_pid: int
    kernel_before: Memory
    peak_reset: bool
    kernel_after: Memory
    rows: int | None
    marks_kernel: list[dict[str, Any]]
    marks_browser: dict[str, Any]


# -- the data ------------------------------------------------------------------------


BYTES_PER_ROW = 87
BATCH_ROWS = 1_000_000


def write_sales_csv(path: Path, rows: int) -> None:
    """Write ``rows`` random but reproducible sales lines (about 87 bytes each).

    Written a million rows at a time (each batch sorted by date), so a 1 GB file
    needs no more memory than a 90 MB one.
    """
    rng = np.random.default_rng(SEED)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, rows, BATCH_ROWS):
            count = min(BATCH_ROWS, rows - start)
            _sales_batch(rng, count).to_csv(handle, index=False, header=start == 0)


def _sales_batch(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    days = pd.date_range("2021-01-01", "2024-12-31", freq="D").strftime("%Y-%m-%d")
    quantity = rng.integers(1, 60, rows)
    unit_price = rng.uniform(5, 2_500, rows).round(2)
    frame = pd.DataFrame(
        {
            "date": np.asarray(days, dtype=object)[rng.integers(0, len(days), rows)],
            "region": np.array(REGIONS, dtype=object)[rng.integers(0, 5, rows)],
            "product": np.array(PRODUCTS, dtype=object)[
                rng.integers(0, len(PRODUCTS), rows)
            ],
            "quantity": quantity,
            "unit_price": unit_price,
            "revenue": (quantity * unit_price).round(2),
        }
    )
    return frame.sort_values("date", kind="stable")


# -- the baseline --------------------------------------------------------------------

BASELINE_PROBE = """
import sys, time
import pandas as pd

def status(key):
    text = open("/proc/self/status").read().split(key + ":")[1]
    return int(text.split()[0]) / 1024

after_import = status("VmRSS")
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
elapsed = time.perf_counter() - start
print(elapsed, after_import, status("VmHWM"), len(frame))
"""


def measure_baseline(path: Path) -> Baseline:
    """Time ``pandas.read_csv`` and read its peak RSS in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", BASELINE_PROBE, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, after_import, peak, rows = done.stdout.split()
    return Baseline(float(seconds), float(after_import), float(peak), int(rows))


# -- processes -----------------------------------------------------------------------


def read_memory(pid: int) -> Memory:
    """``VmRSS`` and ``VmHWM`` of ``pid`` from ``/proc``, in MiB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return Memory(rss=fields["VmRSS"], peak=fields["VmHWM"])


def reset_peak(pid: int) -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux 4.0+); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def find_kernel(server: harness.Server, kernel_id: str) -> int:
    """The pid of the ipykernel that ``server`` started for ``kernel_id``."""
    candidates = psutil.Process(server.process.pid).children(recursive=True)
    for process in candidates:
        try:
            command = " ".join(process.cmdline())
        except psutil.Error:
            continue
        if "ipykernel" in command and kernel_id in command:
            return int(process.pid)
    raise BenchmarkError(f"no ipykernel process for kernel {kernel_id}")


def kernel_id(page: Any) -> str:
    """The id of the current notebook's kernel, as JupyterLab knows it."""
    return str(
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget"
            ".sessionContext.session.kernel.id"
        )
    )


@contextmanager
def lab_server(root: Path) -> Iterator[harness.Server]:
    """JupyterLab on ``root``, started like the browser tests' ``lab_server``."""
    port, token = harness.free_port(), secrets.token_hex(16)
    command = harness.lab_command(root, port, token)
    server = harness.start_server("lab", command, root, port, token, "api/status")
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page in headless Chromium, closed (with the browser) on exit."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise BenchmarkError(f"Chromium not found at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(harness.UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


# -- the upload ----------------------------------------------------------------------


def prepare_notebook(folder: Path) -> tuple[Path, Path]:
    """Write the upload notebook; return the served root and the kernel's marks file."""
    root = folder / "notebooks"
    root.mkdir()
    marks = folder / "kernel-marks.json"
    cell = NOTEBOOK_CELL.format(store=str(folder / "store"), marks=str(marks))
    harness.write_notebook(root / "upload.ipynb", [("code", cell)])
    return root, marks


def upload_file(page: Any, server: harness.Server, csv: Path, marks: Path) -> UploadRun:
    """Open the notebook, upload ``csv`` and measure the kernel around it."""
    harness.open_notebook(page, server, "upload.ipynb")
    harness.run_all_cells(page)
    widget = page.locator(".nbdash-upload")
    widget.wait_for()
    harness.wait_for_kernel_idle(page)

    pid = find_kernel(server, kernel_id(page))
    before = read_memory(pid)
    peak_reset = reset_peak(pid)

    browser_marks = click_upload(page, widget, csv)
    harness.wait_for_kernel_idle(page)
    after = read_memory(pid)
    kernel_marks = _read_marks(marks)
    return UploadRun(
        seconds_click_to_done=(browser_marks["done"] - browser_marks["click"]) / 1000,
        phases=split_phases(browser_marks, kernel_marks),
        kernel_pid=pid,
        kernel_before=before,
        peak_reset=peak_reset,
        kernel_after=after,
        rows=next((m["rows"] for m in kernel_marks if m["status"] == "done"), None),
        marks_kernel=kernel_marks,
        marks_browser=browser_marks,
    )


def click_upload(page: Any, widget: Any, csv: Path) -> dict[str, Any]:
    """Choose ``csv``, click Upload, wait for the end; return the browser's marks."""
    widget.locator("input[type=file]").set_input_files(str(csv))
    widget.evaluate(BROWSER_PROBE)
    widget.get_by_role("button", name="Upload").click()
    page.wait_for_function(
        "() => Boolean(window.__nbdashBench.done || window.__nbdashBench.failed)",
        timeout=UPLOAD_TIMEOUT_MS,
        polling=250,
    )
    marks = dict(page.evaluate("() => window.__nbdashBench"))
    if marks["failed"]:
        raise BenchmarkError(f"the upload failed: {marks.get('error')}")
    return marks


def _read_marks(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())) if path.exists() else []


def split_phases(
    browser: dict[str, Any], kernel: list[dict[str, Any]]
) -> dict[str, float]:
    """Seconds per phase; kernel marks (``time.time()``) and browser marks
    (``Date.now()``) share the machine's clock.
    """
    click = browser["click"] / 1000
    at = {mark["status"]: mark["time"] for mark in kernel}
    phases: dict[str, float] = {}
    if {"uploading", "reading", "done"} <= at.keys():
        phases["start (click -> kernel uploading)"] = at["uploading"] - click
        phases["transfer (uploading -> reading)"] = at["reading"] - at["uploading"]
        phases["ingest (reading -> done)"] = at["done"] - at["reading"]
        phases["notify (kernel done -> page shows done)"] = (
            browser["done"] / 1000 - at["done"]
        )
    if browser.get("firstSlice") and browser.get("lastSlice"):
        phases["browser: first -> last slice acknowledged"] = (
            browser["lastSlice"] - browser["firstSlice"]
        ) / 1000
    return phases


# -- reporting -----------------------------------------------------------------------


def ratios(run: UploadRun, baseline: Baseline) -> dict[str, float]:
    """Widget upload against ``pandas.read_csv``: time and memory."""
    growth = run.kernel_after.peak - run.kernel_before.rss
    base_growth = baseline.peak_rss - baseline.rss_after_import
    result = {
        "time: click->done / read_csv": run.seconds_click_to_done / baseline.seconds,
        "peak RSS: kernel / read_csv process": run.kernel_after.peak
        / baseline.peak_rss,
        "peak growth: kernel / read_csv": growth / base_growth,
    }
    ingest = run.phases.get("ingest (reading -> done)")
    if ingest is not None:
        result["time: ingest / read_csv"] = ingest / baseline.seconds
    return result


def throughput(csv_info: dict[str, Any], run: UploadRun) -> dict[str, float]:
    """MiB per second of the whole upload and of the transfer alone."""
    mib = float(csv_info["mib"])
    result = {"throughput: click -> done": mib / run.seconds_click_to_done}
    transfer = run.phases.get("browser: first -> last slice acknowledged")
    if transfer:
        result["throughput: slices"] = mib / transfer
    return result


def print_table(csv_info: dict[str, Any], run: UploadRun, baseline: Baseline) -> None:
    rows: list[tuple[str, str]] = [
        ("file", f"{csv_info['mib']:.1f} MiB, {csv_info['rows']:,} rows"),
        ("upload: click -> done", f"{run.seconds_click_to_done:8.2f} s"),
    ]
    rows += [(f"  {name}", f"{value:8.2f} s") for name, value in run.phases.items()]
    rows += [
        ("kernel RSS before upload", f"{run.kernel_before.rss:8.1f} MiB"),
        ("kernel peak before upload", f"{run.kernel_before.peak:8.1f} MiB"),
        (
            "kernel peak during upload" + ("" if run.peak_reset else " (no reset)"),
            f"{run.kernel_after.peak:8.1f} MiB",
        ),
        ("kernel RSS after upload", f"{run.kernel_after.rss:8.1f} MiB"),
        (
            "kernel peak growth",
            f"{run.kernel_after.peak - run.kernel_before.rss:8.1f} MiB",
        ),
        ("pandas.read_csv time", f"{baseline.seconds:8.2f} s"),
        ("pandas.read_csv RSS after import", f"{baseline.rss_after_import:8.1f} MiB"),
        ("pandas.read_csv peak RSS", f"{baseline.peak_rss:8.1f} MiB"),
        (
            "pandas.read_csv peak growth",
            f"{baseline.peak_rss - baseline.rss_after_import:8.1f} MiB",
        ),
    ]
    rows += [(name, f"{value:8.2f} x") for name, value in ratios(run, baseline).items()]
    rows += [
        (name, f"{value:8.1f} MiB/s")
        for name, value in throughput(csv_info, run).items()
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def write_results(
    csv_info: dict[str, Any], run: UploadRun, baseline: Baseline, output: Path
) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "chromium": str(CHROMIUM),
        },
        "file": csv_info,
        "upload": asdict(run),
        "baseline_pandas_read_csv": asdict(baseline),
        "ratios": ratios(run, baseline),
        "throughput_mib_s": throughput(csv_info, run),
    }
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


# -- main ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument(
        "--size",
        type=parse_size,
        help="file size instead of --rows, e.g. 100MB or 1GB (about 87 bytes a row)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder and say where"
    )
    return parser.parse_args(argv)


def parse_size(text: str) -> int:
    """Bytes in ``100MB``, ``1GB``, ``1.5GiB`` or a plain number."""
    units = {"": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9}
    units |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    cleaned = text.strip().upper().replace(" ", "")
    number = cleaned.rstrip("KMGIB")
    unit = cleaned[len(number) :]
    if unit not in units or not number:
        message = f"size must look like 100MB or 1GB, got {text!r}"
        raise argparse.ArgumentTypeError(message)
    return int(float(number) * units[unit])


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the server and browser are still stopped."""

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def warn_if_busy() -> None:
    """Say so when other work is running: the numbers would not be comparable."""
    load = os.getloadavg()[0]
    if load > 0.75 * (os.cpu_count() or 1):
        print(f"warning: load average {load:.2f}; the machine is busy", flush=True)


def run(folder: Path, rows: int, output: Path) -> None:
    warn_if_busy()
    csv = folder / "sales.csv"
    write_sales_csv(csv, rows)
    size = csv.stat().st_size
    csv_info: dict[str, Any] = {"rows": rows, "bytes": size, "mib": size / 2**20}
    print(f"wrote {csv} ({csv_info['mib']:.1f} MiB, {rows:,} rows)", flush=True)

    baseline = measure_baseline(csv)
    print(f"baseline pandas.read_csv: {baseline.seconds:.2f} s", flush=True)

    root, marks = prepare_notebook(folder)
    with lab_server(root) as server, chromium_page() as page:
        print(f"JupyterLab at {server.url} (log {server.log})", flush=True)
        try:
            upload = upload_file(page, server, csv, marks)
        except BaseException:
            print(f"screenshot: {harness.screenshot(page, 'bench_upload_browser')}")
            raise
    if upload.rows != rows:
        raise BenchmarkError(f"the widget stored {upload.rows} rows, not {rows}")

    print()
    print_table(csv_info, upload, baseline)
    write_results(csv_info, upload, baseline, output)
    print(f"\nresults: {output}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_sigterm()
    folder = Path(tempfile.mkdtemp(prefix="nbdash-bench-upload-"))
    try:
        rows = args.rows if args.size is None else -(-args.size // BYTES_PER_ROW)
        run(folder, rows, args.output)
    except (BenchmarkError, pytest.fail.Exception) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
