"""The ``nbdash`` command: run notebooks headless and try the example dashboard.

``nbdash run NOTEBOOK -o OUT [-p NAME VALUE]...`` executes a notebook with papermill
through :func:`nbdash.publish.run_notebook`. ``nbdash demo`` copies the example
notebook into a folder, runs it, writes an HTML report, then opens it in Voila (or
JupyterLab).

Exit codes: 0 success, 1 a notebook or runtime error, 2 a usage error, 3 the notebook
ran but dashboard tiles failed to draw (``nbdash run --allow-errors`` makes that 0;
the failed tiles are listed on stderr either way). Errors are one line on stderr;
``--debug`` adds the traceback and debug logging.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from nbdash.errors import NbdashError

logger = logging.getLogger(__name__)

__all__ = ["main", "parse_value"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TILES_FAILED = 3

EXIT_CODES_HELP = """\
exit codes:
  0  the notebook ran and every dashboard tile was drawn
  1  a cell raised, or nbdash itself failed (one line on stderr)
  2  the command line is wrong
  3  the notebook ran but dashboard tiles failed to draw (listed on stderr);
     --allow-errors turns this into 0"""

DEMO_NOTEBOOK = "sales_dashboard.ipynb"


class UsageError(NbdashError, ValueError):
    """The command line itself is wrong: exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nbdash`` command line and return its exit code.

    Parameters
    ----------
    argv
        The arguments after the program name; ``sys.argv[1:]`` when ``None``.

    Returns
    -------
    int
        0 on success, 1 when a notebook or the work failed, 2 on a usage error.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    _configure_logging(debug)

    try:
        options = _build_parser().parse_args(arguments)
        return int(options.command(options))
    except SystemExit as exit_request:
        # --help and --version exit through argparse; keep their code.
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_OK
    except UsageError as error:
        return _fail(error, EXIT_USAGE, debug)
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as error:
        return _fail(error, EXIT_ERROR, debug)


def parse_value(text: str) -> Any:
    """Turn a ``-p NAME VALUE`` value into a Python value.

    ``true``/``false`` (any case) become booleans, ``none``/``null`` become ``None``,
    integers and floats become numbers; anything else stays a string. Quote a value
    that must stay a string in the notebook as text with ``str(...)`` there.

    Examples
    --------
    >>> parse_value("12"), parse_value("0.5"), parse_value("True"), parse_value("EMEA")
    (12, 0.5, True, 'EMEA')
    >>> parse_value("null") is None
    True
    """
    lowered = text.strip().lower()
    words: dict[str, Any] = {"true": True, "false": False, "none": None, "null": None}
    if lowered in words:
        return words[lowered]

    for number_type in (int, float):
        try:
            return number_type(text)
        except ValueError:
            continue
    return text


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="nbdash",
        description="nbdash: dashboards in notebooks.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    _add_run_command(commands)
    _add_demo_command(commands)
    return parser


def _add_run_command(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="execute a notebook headless with papermill",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("notebook", type=Path, help="the notebook to run")
    run.add_argument("-o", "--output", type=Path, required=True, help="output .ipynb")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter (numbers and true/false/none are typed, else text)",
    )
    run.add_argument("--cwd", type=Path, help="kernel working directory")
    run.add_argument("--kernel", help="kernel name (default: the notebook's)")
    run.add_argument(
        "--allow-errors",
        action="store_true",
        help="exit 0 even when dashboard tiles failed to draw (they are still listed)",
    )
    run.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    run.set_defaults(command=_run_command)


def _add_demo_command(commands: Any) -> None:
    demo = commands.add_parser("demo", help="run the example dashboard and open it")
    demo.add_argument("--dir", type=Path, default=Path("nbdash-demo"), help="folder")
    mode = demo.add_mutually_exclusive_group()
    for flag, help_text in [
        ("--voila", "open the dashboard in Voila (default)"),
        ("--lab", "open the notebook in JupyterLab"),
        ("--headless", "stop after writing the report"),
    ]:
        mode.add_argument(
            flag, dest="mode", action="store_const", const=flag[2:], help=help_text
        )
    demo.add_argument("--port", type=int, help="server port")
    demo.add_argument("--no-browser", action="store_true", help="open no browser")
    demo.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    demo.set_defaults(command=_demo_command, mode="voila")


def _run_command(options: argparse.Namespace) -> int:
    from nbdash.publish.runner import failed_tiles, run_notebook

    _require_file(options.notebook)
    parameters = {name: parse_value(value) for name, value in options.parameter}

    output = run_notebook(
        options.notebook,
        options.output,
        parameters=parameters,
        cwd=options.cwd,
        kernel_name=options.kernel,
    )
    _say(f"Wrote {output}")

    failures = failed_tiles(output)
    if not failures:
        return EXIT_OK
    sys.stderr.write(_failure_summary(failures, options.allow_errors) + "\n")
    return EXIT_OK if options.allow_errors else EXIT_TILES_FAILED


def _failure_summary(failures: Sequence[Any], allowed: bool) -> str:
    lines = [f"nbdash: {_count(len(failures), 'dashboard tile')} failed to draw:"]
    for failure in failures:
        label = f"{failure.dashboard} / {failure.title or failure.tile}"
        lines.append(f"  {label} [{failure.tile}]: {failure.error}")
    if allowed:
        lines.append("Kept going (--allow-errors); the output shows these errors.")
    else:
        lines.append(
            f"Exit code {EXIT_TILES_FAILED}; the output notebook shows these errors. "
            "Fix the data or the tiles, or pass --allow-errors to exit 0."
        )
    return "\n".join(lines)


def _demo_command(options: argparse.Namespace) -> int:
    folder = options.dir.resolve()
    notebook = _copy_demo_notebook(folder)
    started = time.monotonic()

    from nbdash.publish import run_notebook

    executed = run_notebook(notebook, folder / "sales_dashboard.out.ipynb")
    report = _export_html(executed, folder / "sales_dashboard.html")
    _say(_demo_summary(notebook, executed, report, time.monotonic() - started))

    if options.mode == "headless":
        return EXIT_OK
    return _serve(notebook, options.mode, options.port, options.no_browser)


def _copy_demo_notebook(folder: Path) -> Path:
    source = _find_demo_notebook()
    folder.mkdir(parents=True, exist_ok=True)

    target = folder / DEMO_NOTEBOOK
    shutil.copyfile(source, target)
    logger.info("Copied %s to %s", source, target)
    return target


def _find_demo_notebook() -> Path:
    packaged = resources.files("nbdash") / "_examples" / DEMO_NOTEBOOK
    if packaged.is_file():
        return Path(str(packaged))

    # A source checkout that was not installed keeps the notebook in examples/.
    checkout = Path(__file__).resolve().parents[2] / "examples" / DEMO_NOTEBOOK
    if checkout.is_file():
        return checkout

    message = (
        f"The example notebook {DEMO_NOTEBOOK} is missing: looked in the installed "
        f"package (nbdash/_examples/) and in {checkout.parent}. Reinstall nbdash."
    )
    raise NbdashError(message)


def _export_html(executed: Path, target: Path) -> Path:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()  # type: ignore[no-untyped-call]
    body, _resources = exporter.from_filename(str(executed))
    target.write_text(body, encoding="utf-8")
    logger.info("Wrote HTML report %s", target)
    return target


def _demo_summary(notebook: Path, executed: Path, report: Path, seconds: float) -> str:
    import nbformat

    result = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]
    code_cells = [cell for cell in result.cells if cell.cell_type == "code"]
    outputs = sum(len(cell.outputs) for cell in code_cells)
    dashboards = result.metadata.get("nbdash", {}).get("dashboards", {})

    described = ", ".join(
        f"'{name}' ({len(spec.get('tiles', []))} tiles)"
        for name, spec in dashboards.items()
    )
    return (
        f"Notebook:  {notebook}\nExecuted:  {executed}\nReport:    {report}\n\n"
        f"Ran {_count(len(code_cells), 'code cell')} in {seconds:.1f} s, producing "
        f"{_count(outputs, 'output')}. Saved dashboards: {described or 'none'}. "
        f"The executed notebook is {executed.stat().st_size / 1024:.0f} KiB; the "
        f"HTML report is "
        f"{report.stat().st_size / 1024:.0f} KiB and opens in any browser."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _serve(notebook: Path, mode: str, port: int | None, no_browser: bool) -> int:
    command = _server_command(notebook, mode, port, no_browser)
    if mode == "voila":
        _say(f"Starting Voila at http://localhost:{port or 8866}/ (Ctrl+C stops it)")
    else:
        _say("Starting JupyterLab; it prints its URL with a token (Ctrl+C stops it)")

    logger.debug("Running %s", command)
    process = subprocess.Popen(command, cwd=notebook.parent)
    # A SIGTERM to this command must not orphan the server it started.
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        return EXIT_OK if process.wait() == 0 else EXIT_ERROR
    except (KeyboardInterrupt, SystemExit):
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(process)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _server_command(
    notebook: Path, mode: str, port: int | None, no_browser: bool
) -> list[str]:
    if mode == "voila":
        from nbdash.publish.voila import voila_options

        # Preheated kernels have run the notebook before the page is asked for.
        command = [sys.executable, "-m", "voila", notebook.name]
        command += voila_options(notebook.name)
    else:
        command = [sys.executable, "-m", "jupyterlab", notebook.name]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")

    if port is not None:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    return command


def _require_file(path: Path) -> None:
    if not path.is_file():
        message = (
            f"nbdash run: notebook {str(path)!r} not found; expected an .ipynb file"
        )
        raise UsageError(message)


def _fail(error: BaseException, code: int, debug: bool) -> int:
    if debug:
        logger.exception("nbdash failed")
    text = " ".join(str(error).split()) or type(error).__name__
    prefix = "" if isinstance(error, UsageError) else "nbdash: error: "
    sys.stderr.write(f"{prefix}{text}\n")
    return code


def _configure_logging(debug: bool) -> None:
    # The command is an application, so it may decide how nbdash's own logs appear;
    # the root logger stays untouched for whatever else is loaded.
    package_logger = logging.getLogger("nbdash")
    if package_logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.DEBUG if debug else logging.WARNING)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _version() -> str:
    from nbdash import __version__

    return f"nbdash {__version__}"


if __name__ == "__main__":
    raise SystemExit(main())
