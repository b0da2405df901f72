"""A dashboard as one self-contained HTML fragment, for outputs no widget can draw.

papermill and nbconvert run without a widget manager, and GitHub shows saved outputs
as they are: there the dashboard appears as this HTML. Tiles sit on a CSS grid of 12
columns at their saved places; charts are SVG images rendered by kaleido (which drives
a Chromium). Without Chromium a chart shows its plotted data as a small table.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import shutil
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from nbdash.charts.figure import plain_values
from nbdash.charts.format import CJK_FONTS
from nbdash.dashboard.spec import DashboardSpec, Tile, TileLayout

logger = logging.getLogger(__name__)

ROW_HEIGHT_PX = 80
"""The height of one grid row, as in the live dashboard."""

IMAGE_TIMEOUT_S = 120
"""How long kaleido may take for all of a dashboard's charts together."""

_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def dashboard_to_html(
    spec: DashboardSpec,
    contents: Mapping[str, Mapping[str, Any]],
    *,
    images: bool = True,
    interactive: bool = False,
) -> str:
    """Render a dashboard as static HTML: tiles on a 12-column CSS grid.

    Parameters
    ----------
    spec
        The dashboard; its layout places the tiles.
    contents
        Each tile's content by tile id, as computed by
        :class:`nbdash.dashboard.DashboardModel`.
    images
        Render charts as images with kaleido; False (or no Chromium found) shows
        each chart's data as a table instead.
    interactive
        Leave each chart as a placeholder and its figure JSON, for a page that
        loads plotly.js (see :func:`dashboard_to_standalone_html`).

    Examples
    --------
    >>> from nbdash.dashboard import DashboardSpec, Tile
    >>> spec = DashboardSpec(name="d", tiles=[Tile(id="t", kind="text", text="<b>")])
    >>> "&lt;b&gt;" in dashboard_to_html(spec, {"t": {"text": "<b>"}})
    True
    """
    tiles = spec.ordered_tiles()
    pictures = _chart_images(tiles, contents) if images else {}

    parts = [
        f'<div class="nbdash-static" data-dashboard="{_attr(spec.name)}" style="'
        "display:grid;grid-template-columns:repeat(12,minmax(0,1fr));"
        f'grid-auto-rows:{ROW_HEIGHT_PX}px;gap:8px;font-family:{_attr(_PAGE_FONTS)}">'
    ]
    for tile in tiles:
        place = spec.layout.get(tile.id)
        content = contents.get(tile.id, {})
        body = _tile_body(tile, content, pictures.get(tile.id), interactive)
        parts.append(_tile_html(tile, place, body))
    parts.append("</div>")
    return "\n".join(parts)


def _tile_html(tile: Tile, place: TileLayout | None, body: str) -> str:
    style = (
        "border:1px solid #ddd;border-radius:4px;overflow:auto;padding:4px 8px;"
        "display:flex;flex-direction:column;"
    )
    if place is not None:
        style += (
            f"grid-column:{place.x + 1} / span {place.w};"
            f"grid-row:{place.y + 1} / span {place.h};"
        )
    else:
        style += "grid-column:1 / span 12;"
    title = (
        f'<div style="font-weight:bold">{_text(tile.title)}</div>' if tile.title else ""
    )
    return (
        f'<div class="nbdash-tile" data-tile="{_attr(tile.id)}" style="{style}">'
        f"{title}{body}</div>"
    )


def dashboard_to_standalone_html(
    spec: DashboardSpec,
    contents: Mapping[str, Mapping[str, Any]],
    applied: Sequence[Mapping[str, str]] = (),
) -> str:
    """A whole HTML document of the dashboard that opens with no kernel or server.

    Charts stay interactive: plotly.js is inlined once (the copy shipped with the
    ``plotly`` Python package) and each figure's JSON sits in its own
    ``<script type="application/json">``. Tables, KPIs, text and insights are escaped
    HTML; ``applied`` lists the active filters shown above the grid.

    Examples
    --------
    >>> from nbdash.dashboard import DashboardSpec, Tile
    >>> spec = DashboardSpec(name="d", tiles=[Tile(id="t", kind="text", text="<b>")])
    >>> page = dashboard_to_standalone_html(spec, {"t": {"text": "<b>"}})
    >>> page.startswith("<!DOCTYPE html>"), "&lt;b&gt;" in page
    (True, True)
    """
    from plotly.offline import get_plotlyjs

    grid = dashboard_to_html(spec, contents, images=False, interactive=True)
    bar = ""
    if applied:
        items = "; ".join(_text(str(item.get("text", ""))) for item in applied)
        bar = f'<p class="nbdash-applied">Filters applied: {items}</p>'
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(spec.name)}</title><style>{_STANDALONE_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{_text(spec.name)}</h1>{bar}{grid}"
        f"<script>{_DRAW_SCRIPT}</script></body></html>"
    )


# Draws every figure in its tile; figures are JSON data, never code or HTML.
_DRAW_SCRIPT = """
document.querySelectorAll('script.nbdash-figure').forEach(function (data) {
  var figure = JSON.parse(data.textContent);
  var target = data.previousElementSibling;
  var layout = Object.assign({}, figure.layout || {}, {autosize: true,
    margin: {l: 56, r: 16, t: 16, b: 48}});
  // The tile's header shows the title.
  delete layout.title; delete layout.width; delete layout.height;
  Plotly.newPlot(target, figure.data || [], layout,
    {responsive: true, displaylogo: false});
});
"""

# The page's own fonts, then the charts' CJK ones: tables and titles in Chinese,
# Japanese or Korean are drawn with a font that has them, as the charts are.
_PAGE_FONTS = f"system-ui, {CJK_FONTS}, sans-serif"

_STANDALONE_CSS = (
    f"body{{font-family:{_PAGE_FONTS};margin:16px;color:#212121}}"
    "h1{font-size:1.4em}.nbdash-applied{color:#555}"
    ".nbdash-plot{flex:1 1 auto;min-height:0;width:100%}"
    ".nbdash-kpi-value{font-size:2em;font-weight:600}"
    "@media (max-width:700px){.nbdash-static{grid-template-columns:1fr!important}"
    ".nbdash-tile{grid-column:1 / -1!important}}"
)


def with_template(figure: Mapping[str, Any]) -> dict[str, Any]:
    """``figure`` with plotly's ``plotly_white`` template when it has none.

    Dashboards keep figures without their template (the live view themes them);
    static images and exports put it back.
    """
    import plotly.io as pio

    layout = dict(figure.get("layout") or {})
    if "template" not in layout:
        layout["template"] = pio.templates["plotly_white"].to_plotly_json()
    return {**figure, "layout": layout}


def _figure_html(tile: Tile, figure: Mapping[str, Any]) -> str:
    # "<", ">" and "&" escaped as JSON unicode escapes: the data cannot end the tag.
    data = (
        json.dumps(with_template(figure))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return (
        f'<div class="nbdash-plot" data-tile="{_attr(tile.id)}"></div>'
        f'<script type="application/json" class="nbdash-figure">{data}</script>'
    )


def kpi_html(kpi: Mapping[str, Any]) -> str:
    """A KPI's value, change and periods as escaped HTML."""
    change = kpi.get("change")
    colour = "#777" if change is None else ("#1b7f3b" if change >= 0 else "#b00020")
    return (
        f'<div class="nbdash-kpi-value">{_text(str(kpi.get("value_text", "")))}</div>'
        f'<div style="color:{colour}">{_text(str(kpi.get("change_text", "")))}</div>'
        f'<div style="color:#777;font-size:small">{_text(str(kpi.get("period", "")))}'
        f" vs {_text(str(kpi.get('previous_period', '')))}"
        f" ({_text(str(kpi.get('previous_text', '')))})</div>"
    )


def insights_html(insights: Mapping[str, Any]) -> str:
    """An insights tile's sentences as an escaped list."""
    sentences = [str(s) for s in insights.get("sentences", [])]
    if not sentences:
        skipped = "; ".join(str(s) for s in insights.get("skipped", []))
        return f'<p style="color:#777">No insights found. {_text(skipped)}</p>'
    items = "".join(f"<li>{_text(sentence)}</li>" for sentence in sentences)
    return f"<ul>{items}</ul>"


def filter_html(state: Mapping[str, Any]) -> str:
    """A filter's current selection as escaped text (exports are not interactive)."""
    label = _text(str(state.get("label", "")))
    if state.get("kind") == "categories":
        values = state.get("values")
        chosen = "all" if values is None else ", ".join(str(v) for v in values)
    else:
        low, high = state.get("low"), state.get("high")
        both = low is None and high is None
        chosen = (
            "all"
            if both
            else f"{low if low is not None else '…'} to "
            + (f"{high if high is not None else '…'}")
        )
    return f"<p>{label}: {_text(chosen)}</p>"


def _tile_body(
    tile: Tile,
    content: Mapping[str, Any],
    picture: bytes | None,
    interactive: bool = False,
) -> str:
    if "error" in content:
        return f'<p style="color:#b00020">{_text(str(content["error"]))}</p>'
    if "text" in content:
        return markdown_to_html(str(content["text"]))
    if "table" in content:
        return table_html(content["table"])
    if "kpi" in content:
        return kpi_html(content["kpi"])
    if "insights" in content:
        return insights_html(content["insights"])
    if "filter" in content:
        return filter_html(content["filter"])
    if "figure" in content and interactive:
        return _figure_html(tile, content["figure"])
    if "figure" in content:
        if picture is not None:
            source = "data:image/svg+xml;base64," + base64.b64encode(picture).decode()
            # A flex item that may shrink: the picture fits the tile's saved size.
            fit = "flex:1 1 auto;min-height:0;width:100%;object-fit:contain"
            return f'<img alt="{_attr(tile.title)}" src="{source}" style="{fit}">'
        return _chart_as_table(content["figure"])
    return '<p style="color:#777">(no content)</p>'


def markdown_to_html(markdown: str) -> str:
    """Paragraphs and ``#`` headings of ``markdown`` as escaped HTML; nothing else."""
    blocks = [block.strip() for block in markdown.replace("\r\n", "\n").split("\n\n")]
    parts = []
    for block in filter(None, blocks):
        level = len(block) - len(block.lstrip("#"))
        if 1 <= level <= 6 and block[level:].startswith(" "):
            parts.append(f"<h{level + 1}>{_text(block[level:].strip())}</h{level + 1}>")
        else:
            parts.append(f"<p>{_text(block)}</p>")
    return "".join(parts)


def table_html(table: Mapping[str, Any], note: str = "") -> str:
    """A ``{columns, rows}`` table as an escaped HTML table, with an optional note."""
    head = "".join(
        f"<th>{_text(str(column))}</th>" for column in table.get("columns", [])
    )
    rows = "".join(
        "<tr>" + "".join(f"<td>{_text(_cell(value))}</td>" for value in row) + "</tr>"
        for row in table.get("rows", [])
    )
    shown, total = len(table.get("rows", [])), table.get("total_rows")
    if isinstance(total, int) and total > shown:
        note = f"{note} First {shown} of {total} rows.".strip()
    caption = f'<p style="color:#777;font-size:small">{_text(note)}</p>' if note else ""
    return (
        '<table style="border-collapse:collapse;font-size:small">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{caption}"
    )


def _chart_as_table(figure: Mapping[str, Any]) -> str:
    # The figure's traces hold the aggregated data that was plotted: show it plainly.
    columns: list[str] = []
    series: list[Sequence[Any]] = []
    for trace in figure.get("data", []):
        name = str(trace.get("name") or "")
        for axis in ("x", "y", "labels", "values"):
            values = plain_values(trace.get(axis))
            if isinstance(values, list):
                columns.append(f"{name} {axis}".strip())
                series.append(values)
    length = max((len(values) for values in series), default=0)
    rows = [
        [values[index] if index < len(values) else None for values in series]
        for index in range(min(length, 50))
    ]
    table = {"columns": columns, "rows": rows, "total_rows": length}
    return table_html(table, note="Chart shown as data: no Chromium to draw images.")


def _chart_images(
    tiles: Sequence[Tile], contents: Mapping[str, Mapping[str, Any]]
) -> dict[str, bytes]:
    figures = {
        tile.id: with_template(contents[tile.id]["figure"])
        for tile in tiles
        if "figure" in contents.get(tile.id, {})
    }
    if not figures or not has_browser():
        if figures:
            logger.warning("no Chromium found: charts in static output are tables")
        return {}
    try:
        return render_svgs(figures)
    except Exception as exc:  # a report without pictures beats no report
        logger.warning("kaleido could not render charts (%s): showing tables", exc)
        return {}


def has_browser() -> bool:
    """Whether kaleido can find a Chromium (``BROWSER_PATH`` or on ``PATH``)."""
    import importlib.util
    import os

    if importlib.util.find_spec("kaleido") is None:
        return False
    configured = os.environ.get("BROWSER_PATH", "")
    if configured:
        return os.path.exists(configured)
    return any(shutil.which(name) for name in _BROWSER_NAMES)


def render_svgs(figures: Mapping[str, Any]) -> dict[str, bytes]:
    """SVG images of plotly figure dicts, all rendered by one kaleido browser.

    kaleido starts a Chromium per session: one session for all charts keeps a
    dashboard's static output from paying that start-up once per chart. The work
    runs in its own thread because a kernel's thread already runs an event loop.
    """
    import kaleido  # type: ignore[import-untyped]  # kaleido ships no types

    async def render() -> dict[str, bytes]:
        # mathjax=False: the default loads MathJax from a CDN, which hangs offline.
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=IMAGE_TIMEOUT_S) as k:
            options = {"format": "svg", "width": 700, "height": 400}
            return {
                key: await k.calc_fig(fig, opts=options) for key, fig in figures.items()
            }

    result: dict[str, bytes] = {}
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.update(asyncio.run(render()))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=work, name="nbdash-kaleido", daemon=True)
    thread.start()
    thread.join(IMAGE_TIMEOUT_S + 30)
    if failure:
        raise failure[0]
    if thread.is_alive():
        raise TimeoutError(f"kaleido took more than {IMAGE_TIMEOUT_S + 30} s")
    logger.info("rendered %d chart images", len(result))
    return result


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
