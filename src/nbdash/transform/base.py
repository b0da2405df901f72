"""The base of every nbdash spec model: strict fields and readable errors.

Specs (pipeline steps, pipelines, charts) arrive from the front end and from saved
notebook metadata, so each one is validated; a bad spec raises
:class:`~nbdash.errors.SpecError` with one line per problem instead of pydantic's
``ValidationError``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from nbdash.errors import SpecError

logger = logging.getLogger(__name__)

# pydantic calls an overridden __init__ for nested models too; only the outermost call
# turns the error into a SpecError, so nested problems keep their full location.
_depth = contextvars.ContextVar("nbdash_spec_depth", default=0)

Name = Annotated[str, StringConstraints(min_length=1)]
"""A column or dataset name: any non-empty string (spaces, quotes, unicode allowed)."""


class SpecModel(BaseModel):
    """A pydantic model that rejects unknown fields and raises :class:`SpecError`."""

    model_config = ConfigDict(extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        with _spec_errors(type(self).__name__):
            super().__init__(**data)

    @classmethod
    def model_validate(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a dict into this spec; :class:`SpecError` when malformed."""
        with _spec_errors(cls.__name__):
            return super().model_validate(*args, **kwargs)

    @classmethod
    def model_validate_json(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON text into this spec; :class:`SpecError` when malformed."""
        with _spec_errors(cls.__name__):
            return super().model_validate_json(*args, **kwargs)

    def to_json(self) -> str:
        """Return the spec as a JSON string that :meth:`from_json` reads back."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Read a spec written by :meth:`to_json`; :class:`SpecError` when malformed."""
        return cls.model_validate_json(text)


@contextlib.contextmanager
def _spec_errors(what: str) -> Iterator[None]:
    """Turn a ValidationError into a SpecError, at the outermost spec only."""
    depth = _depth.get()
    token = _depth.set(depth + 1)
    try:
        yield
    except ValidationError as exc:
        if depth > 0:
            raise
        raise SpecError(describe_validation_error(exc, what)) from None
    finally:
        _depth.reset(token)


def describe_validation_error(exc: ValidationError, what: str) -> str:
    """Turn a pydantic error into one readable line per problem.

    Examples
    --------
    A location such as ``('steps', 0, 'filter', 'op')`` reads ``steps[0].filter.op``.
    """
    problems = []
    for error in exc.errors(include_url=False):
        where = _location(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        line = f"{where}: {message}" if where else message

        # Our own validators already name the received value; pydantic's do not.
        received = error.get("input")
        quiet = error["type"] in ("missing", "value_error")
        if not quiet and not isinstance(received, dict | list):
            line += f" (received {received!r})"
        problems.append(line)

    count = len(problems)
    header = f"Invalid {what} spec ({count} problem{'s' if count > 1 else ''}):"
    return header + "\n  - " + "\n  - ".join(problems) + "\nFix these fields and retry."


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")
