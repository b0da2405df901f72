"""Payload and build time of a 10M-point line chart: nbdash against plain plotly.

Builds one series of ``--points`` values (a noisy wave with a few injected spikes,
x in seconds) and, in the same run,

* nbdash: ``ChartSpec(kind="line").figure_json(frame)`` (aggregation fast path, then
  MinMaxLTTB downsampling to 4,000 points), and
* plain plotly: ``go.Figure(go.Scattergl(x=x, y=y)).to_json()``,

reporting the seconds to build each figure's JSON and its size in bytes. It checks
that every spike is still in nbdash's downsampled points (the script fails if not),
and that the payload is at most 1 MB.

With ``--browser`` it also measures the time to first draw in headless Chromium
(Playwright): a static page served from loopback fetches each payload, parses it and
draws it with plotly.js (the full bundle shipped with the plotly package, which has
``scattergl``); the time runs from the fetch to the end of ``Plotly.newPlot``.

Results go to ``benchmarks/results/charts.json``. Run from the repository root,
small first::

    .venv/bin/python benchmarks/bench_charts.py --points 200000 --browser
    .venv/bin/python benchmarks/bench_charts.py --browser          # 10M points
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "charts.json"
TARGET_BYTES = 1_000_000
# WebGL (scattergl) in headless Chromium without a GPU: software rendering.
CHROMIUM_FLAGS = ("--no-sandbox", "--use-gl=swiftshader", "--ignore-gpu-blocklist")
SPIKE_SHARES = (0.1234, 0.5, 0.8765)
SPIKE_HEIGHTS = (25.0, -30.0, 40.0)


def make_series(points: int) -> tuple[pd.DataFrame, dict[int, float]]:
    """A noisy wave over ``points`` seconds with a few known spikes."""
    rng = np.random.default_rng(2024)
    x = np.arange(points, dtype="float64")
    y = np.sin(x / (points / 40)) + rng.normal(scale=0.1, size=points)
    spikes = {
        int(share * points): h
        for share, h in zip(SPIKE_SHARES, SPIKE_HEIGHTS, strict=True)
    }
    for position, height in spikes.items():
        y[position] = height
    return pd.DataFrame({"seconds": x, "value": y}), spikes


def timed(build: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = build()
    return time.perf_counter() - start, result


def nbdash_payload(frame: pd.DataFrame) -> tuple[float, str, dict[str, Any]]:
    from nbdash.charts import ChartSpec

    spec = ChartSpec(kind="line", dataset="signal", x="seconds", y="value")
    seconds, figure = timed(lambda: spec.figure_json(frame))
    return seconds, json.dumps(figure), figure


def plotly_payload(frame: pd.DataFrame) -> tuple[float, str]:
    import plotly.graph_objects as go

    def build() -> str:
        trace = go.Scattergl(x=frame["seconds"].to_numpy(), y=frame["value"].to_numpy())
        text: str = go.Figure(trace).to_json()
        return text

    seconds, text = timed(build)
    return seconds, text


def drawn_values(figure: dict[str, Any]) -> np.ndarray:
    import base64

    y = figure["data"][0]["y"]
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y, dtype="float64")


def check_spikes(figure: dict[str, Any], spikes: dict[int, float]) -> int:
    values = set(drawn_values(figure).tolist())
    missing = [height for height in spikes.values() if height not in values]
    assert not missing, f"spikes lost in downsampling: {missing}"
    return len(drawn_values(figure))


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script src="plotly.min.js"></script></head>
<body><div id="plot" style="width:900px;height:450px"></div></body></html>"""

# A draw still running after DRAW_LIMIT_S is reported as such rather than awaited.
DRAW_LIMIT_S = 300
DRAW = """async ([name, limit]) => {
  const start = performance.now();
  const timeout = new Promise((done) => setTimeout(
    () => done({timeout_s: limit}), limit * 1000));
  return Promise.race([timeout, draw(name, start)]);
}"""

DRAW_HELPER = """() => { window.draw = async (name, start) => {
  const response = await fetch(name);
  const figure = JSON.parse(await response.text());
  const parsed = performance.now();
  const plot = document.getElementById('plot');
  Plotly.purge(plot);
  await Plotly.newPlot(plot, figure.data, figure.layout || {});
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return {total_s: (performance.now() - start) / 1000,
          fetch_parse_s: (parsed - start) / 1000};
}; }"""


def browser_draw(payloads: dict[str, str]) -> dict[str, Any]:
    """Time to first draw of each payload in headless Chromium, one page each."""
    import plotly
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="nbdash-bench-charts-"))
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    shutil.copy(bundle, folder / "plotly.min.js")
    (folder / "index.html").write_text(PAGE)
    for name, text in payloads.items():
        (folder / f"{name}.json").write_text(text)

    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    try:
        return _draw_all(sync_playwright, url, list(payloads))
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def _draw_all(sync_playwright: Any, url: str, names: list[str]) -> dict[str, Any]:
    chromium = os.environ.get("NBDASH_CHROMIUM", "/usr/bin/chromium")
    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=[*CHROMIUM_FLAGS]
        )
        for name in names:
            page = browser.new_page()
            page.goto(url)
            page.evaluate(DRAW_HELPER)
            try:
                results[name] = page.evaluate(DRAW, [f"{name}.json", DRAW_LIMIT_S])
            except Exception as error:  # a crashed tab is a result too
                results[name] = {"error": str(error)[:300]}
            page.close()
        browser.close()
    return results


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--browser", action="store_true", help="time to first draw")
    args = parser.parse_args()

    frame, spikes = make_series(args.points)
    ours_s, ours_text, ours_figure = nbdash_payload(frame)
    drawn = check_spikes(ours_figure, spikes)
    plain_s, plain_text = plotly_payload(frame)

    result: dict[str, Any] = {
        "points": args.points,
        "machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0],
                    "python": platform.python_version()},
        "nbdash": {"build_s": round(ours_s, 3), "bytes": len(ours_text),
                   "points_drawn": drawn, "spikes_kept": len(spikes)},
        "plotly_scattergl": {"build_s": round(plain_s, 3), "bytes": len(plain_text)},
    }  # fmt: skip
    result["ratios"] = {
        "bytes_plotly_over_nbdash": round(len(plain_text) / len(ours_text), 1),
        "build_plotly_over_nbdash": round(plain_s / ours_s, 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    if args.browser:
        draws = browser_draw({"nbdash": ours_text, "plotly_scattergl": plain_text})
        result["first_draw"] = draws
        RESULTS.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    assert len(ours_text) <= TARGET_BYTES, f"payload {len(ours_text)} bytes > 1 MB"


if __name__ == "__main__":
    main()
