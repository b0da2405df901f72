"""The rule for dataset names, shared by the store and the workspace."""

from __future__ import annotations

import re

NAME_RULE = (
    "1-64 characters of letters, digits, '_', '-', '.' and spaces, "
    "not starting with '.'"
)

_NAME_PATTERN = re.compile(r"[A-Za-z0-9_\-. ]{1,64}")


def validate_dataset_name(name: object) -> str:
    """Return ``name`` when it is a valid dataset name, else raise ``ValueError``.

    Names become folder names in the store, so the rule keeps them portable and
    free of path separators.

    Examples
    --------
    >>> validate_dataset_name("sales 2024")
    'sales 2024'
    """
    is_valid = (
        isinstance(name, str)
        and _NAME_PATTERN.fullmatch(name) is not None
        and not name.startswith(".")
        and name.strip() == name
    )
    if not is_valid:
        message = (
            f"Invalid dataset name {name!r}: a name is {NAME_RULE}, "
            "with no leading or trailing spaces. Rename it, e.g. 'sales_2024'."
        )
        raise ValueError(message)
    return name  # type: ignore[return-value]
