"""Smoke tests proving the harness: JupyterLab renders an anywidget, Voila a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import (
    Server,
    has_nbdash_extension,
    open_notebook,
    run_all_cells,
    write_notebook,
)

INLINE_WIDGET = '''
import anywidget
import traitlets

class Greeting(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const text = () => { el.textContent = "Hello from " + model.get("who"); };
      el.classList.add("smoke-greeting");
      text();
      model.on("change:who", text);
      return () => model.off("change:who", text);
    }
    export default { render };
    """
    who = traitlets.Unicode("the kernel").tag(sync=True)

greeting = Greeting(who="nbdash smoke " + str(6 * 7))
greeting
'''


def test_lab_renders_inline_anywidget(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(notebook_dir / "smoke.ipynb", [("code", INLINE_WIDGET)])

    open_notebook(page, lab_server, "smoke.ipynb")
    run_all_cells(page)

    greeting = page.locator(".smoke-greeting")
    greeting.wait_for()
    assert greeting.inner_text() == "Hello from nbdash smoke 42"
    assert has_nbdash_extension(page), "nbdash's JupyterLab extension is not active"


def test_voila_renders_markdown(voila_server: Any, tmp_path: Path, page: Any) -> None:
    notebook = write_notebook(
        tmp_path / "hello.ipynb",
        [
            ("markdown", "# Quarterly smoke report\n\nRevenue rose in *March*."),
            ("code", "print(sum(range(10)))"),
        ],
    )

    server = voila_server(notebook)
    page.goto(server.url)

    heading = page.locator("h1", has_text="Quarterly smoke report")
    heading.wait_for()
    assert page.locator("em", has_text="March").count() == 1
    assert page.get_by_text("45", exact=True).count() == 1
