"""Built-in example data, written to CSV files so they can be uploaded like any other.

Both datasets ship inside libraries nbdash already depends on, so the examples work
without a network connection. They are written as shipped: no rows are invented or
altered, only column names are tidied.

``sales_csv``
    Plotly's ``tips`` data: 244 restaurant bills recorded by one waiter over a few
    months in the early 1990s (Bryant and Smith, 1995). Columns: ``total_bill``
    (dollars), ``tip`` (dollars), ``sex`` and ``smoker`` (of the bill payer), ``day``
    (Thur to Sun), ``time`` (Lunch or Dinner) and ``size`` (party size).

``turnover_csv``
    Statsmodels' ``elec_equip`` data: a monthly Eurostat index for the manufacture of
    electrical equipment in the euro area (working-day adjusted, not seasonally
    adjusted), January 1995 onwards. Columns: ``date`` (the first day of the month)
    and ``turnover_index`` (the index value; statsmodels labels the series
    ``STS.M.I7.W.TOVT.NS0016.4.000``, a total turnover index). ``orders_csv`` and
    ``orders_frame`` are the same functions under their first-release names.

Examples
--------
>>> import pandas as pd, tempfile
>>> folder = tempfile.mkdtemp()
>>> pd.read_csv(sales_csv(folder)).shape
(244, 7)
>>> list(pd.read_csv(turnover_csv(folder)).columns)
['date', 'turnover_index']
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

__all__ = [
    "orders_csv",
    "orders_frame",
    "sales_csv",
    "sales_frame",
    "turnover_csv",
    "turnover_frame",
]


def sales_frame() -> pd.DataFrame:
    """Return plotly's bundled ``tips`` data (restaurant bills) as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        244 rows: ``total_bill``, ``tip``, ``sex``, ``smoker``, ``day``, ``time``,
        ``size``.
    """
    import plotly.data

    frame: pd.DataFrame = plotly.data.tips()
    return frame


def turnover_frame() -> pd.DataFrame:
    """Return statsmodels' bundled ``elec_equip`` monthly index as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row a month: ``date`` (datetime, first of the month) and
        ``turnover_index`` (float).

    Raises
    ------
    ImportError
        When statsmodels is not installed (it comes with ``nbdash[insights]``).
    """
    shipped = _shipped_elec_equip()
    if shipped is None:
        message = (
            "turnover_csv() needs statsmodels, which ships the elec_equip data. "
            "Install it with: pip install 'nbdash[insights]'"
        )
        raise ImportError(message)

    raw = pd.read_csv(shipped)
    dates = pd.to_datetime(raw.iloc[:, 0], format="%b-%d-%Y")
    values = raw.iloc[:, 1].astype("float64")
    return pd.DataFrame({"date": dates, "turnover_index": values})


def _shipped_elec_equip() -> Path | None:
    # The CSV file is read from statsmodels' folder without importing statsmodels:
    # importing its datasets package costs over a CPU second, in the example
    # notebook's first cell and so on every Voila page load.
    spec = importlib.util.find_spec("statsmodels")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "datasets" / "elec_equip" / "elec_equip.csv"
        if path.is_file():
            return path
    return None


def sales_csv(folder: str | os.PathLike[str] | None = None) -> Path:
    """Write the restaurant bills (``tips``) to ``sales.csv`` and return its path.

    Parameters
    ----------
    folder
        Where to write the file; the current directory when ``None``. Created if
        missing. An existing ``sales.csv`` there is replaced.

    Returns
    -------
    pathlib.Path
        The absolute path of the CSV file.
    """
    return _write_csv(sales_frame(), folder, "sales.csv")


def turnover_csv(folder: str | os.PathLike[str] | None = None) -> Path:
    """Write the monthly electrical-equipment index to ``turnover.csv``; return it.

    Parameters
    ----------
    folder
        Where to write the file; the current directory when ``None``. Created if
        missing. An existing ``turnover.csv`` there is replaced.

    Returns
    -------
    pathlib.Path
        The absolute path of the CSV file. Its ``date`` column is ISO formatted
        (``1995-01-01``).
    """
    return _write_csv(turnover_frame(), folder, "turnover.csv")


# The names of the first release, kept so code written against them still runs.
orders_frame = turnover_frame
orders_csv = turnover_csv


def _write_csv(
    frame: pd.DataFrame, folder: str | os.PathLike[str] | None, name: str
) -> Path:
    target = Path(folder) if folder is not None else Path.cwd()
    target.mkdir(parents=True, exist_ok=True)

    path = (target / name).resolve()
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    logger.info("Wrote example data %s (%d rows)", path, len(frame))
    return path
