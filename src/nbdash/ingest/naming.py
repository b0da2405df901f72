"""Turning header cells into column names that are clean and unique."""

from __future__ import annotations


def column_names(header: list[str]) -> list[str]:
    """Strip names, name empty ones ``column_<n>``, make duplicates ``name_2``.

    Examples
    --------
    >>> column_names([" id", "", "id", "id_2"])
    ['id', 'column_2', 'id_3', 'id_2']
    """
    stripped = [
        cell.strip() or f"column_{index}" for index, cell in enumerate(header, 1)
    ]
    taken = set(stripped)
    seen: set[str] = set()
    names = []
    for name in stripped:
        unique = name
        suffix = 2
        while unique in seen or (unique != name and unique in taken):
            unique = f"{name}_{suffix}"
            suffix += 1
        seen.add(unique)
        names.append(unique)
    return names
