"""Run a pipeline with an engine: ``pandas``, ``duckdb`` or ``auto``.

The duckdb engine compiles the pipeline to one SQL statement
(:mod:`nbdash.transform.sql`) and runs it in-process. Its input is a pandas frame
(DuckDB scans it without copying) or a Parquet/CSV file that never enters pandas; its
output is a frame, or a Parquet file written by ``COPY`` so that data larger than
memory streams through DuckDB (which spills to a temporary folder under
``memory_limit``).

``auto`` picks DuckDB for files, and for frames of at least :data:`AUTO_MIN_CELLS`
cells (rows times columns) whose pipeline aggregates (a ``group`` step); pandas
otherwise and whenever the duckdb engine cannot run a step. Frames already in memory
whose result is about as large as the input (filter, sort, join) stay with pandas:
turning DuckDB's full-size result back into a frame costs more than pandas' own work
(see ``benchmarks/bench_transform.py``).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from nbdash.errors import DatasetNotFoundError, EngineNotSupportedError, SpecError
from nbdash.transform.sql import (
    Column,
    SqlQuery,
    columns_of_frame,
    compile_pipeline,
    quote,
    sql_name,
)

if TYPE_CHECKING:
    import duckdb

    from nbdash.transform.pipeline import DatasetSource, Pipeline

logger = logging.getLogger(__name__)

Engine = Literal["pandas", "duckdb", "auto"]
"""The engines a pipeline can run with."""

ENGINES = ("pandas", "duckdb", "auto")

AUTO_MIN_CELLS = 10_000_000
"""``auto`` runs aggregating pipelines on frames of this many cells on with DuckDB.

Measured with ``benchmarks/bench_transform.py`` (7 columns): the two-key group-by took
the same time in both engines at 1M rows (7M cells), DuckDB was twice as slow at 200k.
"""

_REDUCING = {"group"}

_SOURCE_VIEW = "__nbdash_source"
_KEEPS_INDEX = {"select", "drop_columns", "rename", "reorder", "cast", "derive"}
_KEEPS_INDEX |= {"fill_missing", "flag_missing", "drop_missing_columns", "bucket_date"}
"""Steps after which the pandas engine keeps the input's index (others reset it)."""
_READERS = {".parquet": "read_parquet", ".pq": "read_parquet", ".csv": "read_csv"}
_READERS |= {".tsv": "read_csv", ".txt": "read_csv"}


def run_frame(
    pipeline: Pipeline,
    frame: pd.DataFrame,
    engine: Engine = "pandas",
    others: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Run ``pipeline`` on ``frame`` (left unchanged) with ``engine``.

    Parameters
    ----------
    pipeline
        The pipeline to run.
    frame
        The source data.
    engine
        ``"pandas"``, ``"duckdb"`` or ``"auto"`` (DuckDB from
        :data:`AUTO_MIN_CELLS` cells on, when it can run every step).
    others
        The datasets that ``join`` and ``append`` steps read, by name.

    Examples
    --------
    >>> from nbdash.transform import Pipeline
    >>> pipe = Pipeline(source="t", steps=[{"kind": "sort", "keys": [{"column": "x"}]}])
    >>> run_frame(pipe, pd.DataFrame({"x": [2, 1]}), engine="duckdb")["x"].tolist()
    [1, 2]
    """
    chosen = _check_engine(engine)
    if chosen == "auto":
        chosen = choose_engine(pipeline, len(frame) * len(frame.columns))
    if chosen == "pandas":
        return pipeline.run_frame(frame, others=others)

    try:
        return _duckdb_frame(pipeline, frame, others or {})
    except EngineNotSupportedError as exc:
        if engine != "auto":
            raise
        logger.warning("engine 'auto' runs pandas instead of duckdb: %s", exc)
        return pipeline.run_frame(frame, others=others)


def run_file(
    pipeline: Pipeline,
    path: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
) -> pd.DataFrame | Path:
    """Run ``pipeline`` with DuckDB over a Parquet or CSV file, never loading it whole.

    Parameters
    ----------
    pipeline
        The pipeline to run.
    path
        A ``.parquet``/``.pq`` or ``.csv``/``.tsv``/``.txt`` file.
    output
        Where to write the result as Parquet (replaced atomically); when None the
        result is returned as a frame, so it must fit in memory.
    memory_limit
        DuckDB's memory limit, e.g. ``"500MB"``; beyond it DuckDB spills to disk.

    Returns
    -------
    pandas.DataFrame or pathlib.Path
        The result frame, or ``output`` as a ``Path``.
    """
    source = Path(path)
    reader = _READERS.get(source.suffix.lower())
    if reader is None:
        raise SpecError(
            f"The duckdb engine reads .parquet, .pq, .csv, .tsv or .txt files; "
            f"received {source.name!r}. Convert the file, or load it and run a frame."
        )
    with _connection(memory_limit) as connection:
        query = _compile_file(pipeline, connection, source, reader)
        if output is None:
            frame = _execute(connection, query, str(source))
            return _restore(frame, query.columns, None)
        return _copy_to_parquet(connection, query, Path(output), str(source))


def run_workspace(
    pipeline: Pipeline, workspace: DatasetSource, engine: Engine = "pandas"
) -> pd.DataFrame:
    """Run ``pipeline`` on its source dataset in ``workspace`` with ``engine``.

    With ``duckdb`` or ``auto`` and a store that keeps the dataset as a Parquet file
    (``Store.parquet_path``), DuckDB reads that file; otherwise the dataset is loaded.
    """
    chosen = _check_engine(engine)
    path = _stored_parquet(workspace, pipeline.source) if chosen != "pandas" else None
    if path is not None and chosen == "auto" and _parquet_cells(path) < AUTO_MIN_CELLS:
        path = None  # small enough to load; the frame rules below then apply
    if path is None or _used_datasets(pipeline):
        others = {name: workspace.get(name) for name in _used_datasets(pipeline)}
        return run_frame(pipeline, workspace.get(pipeline.source), chosen, others)

    try:
        result = run_file(pipeline, path)
    except EngineNotSupportedError as exc:
        if engine != "auto":
            raise
        logger.warning("engine 'auto' runs pandas instead of duckdb: %s", exc)
        return pipeline.run_frame(workspace.get(pipeline.source))
    assert isinstance(result, pd.DataFrame)
    return result


def to_sql(pipeline: Pipeline, data: pd.DataFrame | str | os.PathLike[str]) -> SqlQuery:
    """Return the DuckDB statement the duckdb engine runs for ``pipeline`` on ``data``.

    For a frame, the statement reads the view ``__nbdash_source``; for a file path, the
    file itself (parameter ``$1``).
    """
    with _connection(None) as connection:
        if isinstance(data, pd.DataFrame):
            return _compile_frame(pipeline, connection, data)
        source = Path(data)
        reader = _READERS.get(source.suffix.lower(), "read_parquet")
        return _compile_file(pipeline, connection, source, reader)


def choose_engine(pipeline: Pipeline, cells: int) -> Literal["pandas", "duckdb"]:
    """Return the engine ``auto`` tries first for a frame of ``cells`` cells."""
    reduces = any(step.kind in _REDUCING for step in _active(pipeline))
    return "duckdb" if reduces and cells >= AUTO_MIN_CELLS else "pandas"


# DuckDB ------------------------------------------------------------------------------


def _duckdb_frame(
    pipeline: Pipeline, frame: pd.DataFrame, others: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    with _connection(None) as connection:
        query = _compile_frame(pipeline, connection, frame, others)
        result = _execute(connection, query, f"dataset {pipeline.source!r}")
    keeps_index = all(step.kind in _KEEPS_INDEX for step in _active(pipeline))
    return _restore(result, query.columns, frame.index if keeps_index else None)


def _compile_frame(
    pipeline: Pipeline,
    connection: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    others: dict[str, pd.DataFrame] | None = None,
) -> SqlQuery:
    columns = _register(connection, _SOURCE_VIEW, frame)
    relations = {}
    for number, (name, other) in enumerate((others or {}).items()):
        view = f"__nbdash_other_{number}"
        relations[name] = (quote(view), _register(connection, view, other))
    return compile_pipeline(pipeline, columns, quote(_SOURCE_VIEW), others=relations)


def _register(
    connection: duckdb.DuckDBPyConnection, view: str, frame: pd.DataFrame
) -> list[Column]:
    """Let DuckDB scan ``frame`` as ``view``; return its columns with their types."""
    names = list(frame.columns)
    if not all(isinstance(name, str) for name in names) or len(set(names)) < len(names):
        raise EngineNotSupportedError(
            "The duckdb engine needs unique text column names; this frame has "
            f"{names!r}. Rename the columns or use engine='pandas'."
        )
    escaped = [sql_name(name) for name in names]
    # A NUL in a name (rare): DuckDB sees the escaped names.
    seen = frame if escaped == names else frame.set_axis(escaped, axis=1)
    connection.register(view, seen)
    described = connection.execute(f"DESCRIBE {quote(view)}").fetchall()
    return columns_of_frame(frame, [str(row[1]) for row in described])


def _compile_file(
    pipeline: Pipeline,
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    reader: str,
) -> SqlQuery:
    source = f"{reader}($1)"
    try:
        described = connection.execute(
            f"DESCRIBE SELECT * FROM {source}", [str(path)]
        ).fetchall()
    except Exception as exc:  # duckdb.Error, imported lazily
        raise SpecError(f"The duckdb engine cannot read {str(path)!r}: {exc}") from exc
    dtypes = _parquet_dtypes(path) if reader == "read_parquet" else {}
    columns = [Column(row[0], str(row[1]), dtypes.get(row[0])) for row in described]
    return compile_pipeline(pipeline, columns, source, [str(path)], file_source=True)


def _execute(
    connection: duckdb.DuckDBPyConnection, query: SqlQuery, what: str
) -> pd.DataFrame:
    import duckdb

    try:
        result: pd.DataFrame = connection.execute(query.sql, query.params).df()
    except duckdb.Error as exc:
        raise SpecError(
            f"The duckdb engine failed on {what}: {exc}. The pandas engine "
            "(engine='pandas') may give a clearer message."
        ) from exc
    return result


def _copy_to_parquet(
    connection: duckdb.DuckDBPyConnection, query: SqlQuery, output: Path, what: str
) -> Path:
    import duckdb

    if any("\x00" in column.name for column in query.columns):
        raise EngineNotSupportedError(
            "A Parquet file cannot take a column name holding a NUL character; "
            "rename the column first."
        )
    temporary = output.with_name(f".{output.name}.nbdash-tmp")
    target = f"${len(query.params) + 1}"
    sql = f"COPY ({query.sql}) TO {target} (FORMAT parquet)"
    try:
        connection.execute(sql, [*query.params, str(temporary)])
    except duckdb.Error as exc:
        temporary.unlink(missing_ok=True)
        raise SpecError(f"The duckdb engine failed on {what!r}: {exc}") from exc
    os.replace(temporary, output)
    logger.info("pipeline result written to %s", output)
    return output


@contextmanager
def _connection(memory_limit: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection that spills to a private temporary folder."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="nbdash-duckdb-") as spill:
        config: dict[str, str | bool | int | float | list[str]] = {
            "temp_directory": spill
        }
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        connection = duckdb.connect(config=config)
        try:
            yield connection
        finally:
            connection.close()


# Results -----------------------------------------------------------------------------


def _restore(
    result: pd.DataFrame, columns: list[Column], index: pd.Index | None
) -> pd.DataFrame:
    """Give DuckDB's result the names, dtypes and index the pandas engine gives."""
    result.columns = pd.Index([column.name for column in columns])
    for position, column in enumerate(columns):
        series = result.iloc[:, position]
        if column.dtype is None or series.dtype == column.dtype:
            continue
        try:
            result.isetitem(position, series.astype(column.dtype).array)
        except (TypeError, ValueError) as exc:
            logger.debug("kept %s for column %r: %s", series.dtype, column.name, exc)
    if index is not None and len(index) == len(result):
        result.index = index
    return result


def _parquet_dtypes(path: Path) -> dict[str, Any]:
    """The dtypes pandas gives the columns of a Parquet file (from its schema only)."""
    import pyarrow.parquet as pq

    empty = pq.read_schema(path).empty_table().to_pandas()
    return {str(name): dtype for name, dtype in empty.dtypes.items()}


def _parquet_cells(path: str) -> int:
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    return int(metadata.num_rows) * int(metadata.num_columns)


def _stored_parquet(workspace: DatasetSource, name: str) -> str | None:
    store = getattr(workspace, "store", None)
    parquet_path = getattr(store, "parquet_path", None)
    if not callable(parquet_path):
        return None
    try:
        path = parquet_path(name)
    except DatasetNotFoundError:
        return None  # not stored: the workspace's own lookup says what is wrong
    return str(path) if path is not None else None


def _used_datasets(pipeline: Pipeline) -> list[str]:
    names: list[str] = []
    for step in _active(pipeline):
        names += getattr(step, "used_datasets", list)()
    return list(dict.fromkeys(names))


def _active(pipeline: Pipeline) -> list[Any]:
    disabled = set(getattr(pipeline, "disabled", []))
    return [step for i, step in enumerate(pipeline.steps) if i not in disabled]


def _check_engine(engine: str) -> Engine:
    if engine not in ENGINES:
        raise SpecError(
            f"Unknown engine {engine!r}; expected one of {', '.join(ENGINES)}."
        )
    return engine  # type: ignore[return-value]
