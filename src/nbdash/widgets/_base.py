"""The base class of nbdash widgets: one message envelope, errors shown to the user.

Front ends send ``{"kind": ..., "id": ..., ...}``; the widget calls the handler for
that kind and replies ``{"kind": "reply", "id": ..., "result": ...}`` or
``{..., "error": ...}``.
Bytes travel in message buffers. Handlers are registered with :func:`handler`.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Callable
from typing import Any, ClassVar, TypedDict

import anywidget
import traitlets

from nbdash.errors import NbdashError

logger = logging.getLogger(__name__)

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"

Buffers = list[bytes | memoryview]
Reply = tuple[Any, Buffers]
Handler = Callable[[Any, dict[str, Any], list[memoryview]], Any]


class Envelope(TypedDict, total=False):
    """A message between a widget and its front end."""

    kind: str
    id: str
    result: Any
    error: str


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of front-end messages of ``kind``.

    The method receives the message content and its buffers, and returns the result,
    or a ``(result, buffers)`` tuple built with :func:`with_buffers`.
    """

    def mark(method: Handler) -> Handler:
        method._nbdash_kind = kind  # type: ignore[attr-defined]
        return method

    return mark


class _WithBuffers(tuple):  # type: ignore[type-arg]
    """A handler result that carries binary buffers beside its JSON part."""


def with_buffers(result: Any, buffers: Buffers) -> Any:
    """Return ``result`` with ``buffers`` attached, from a handler."""
    return _WithBuffers((result, buffers))


def static_esm(name: str) -> pathlib.Path:
    """The built bundle of widget ``name``, with a clear error when it is missing."""
    path = STATIC / f"{name}.js"
    if not path.exists():
        message = (
            f"The nbdash front end bundle {path.name} is missing from {STATIC}. "
            "Install nbdash with pip (which builds it), or run `npm run build` in a "
            "source checkout."
        )
        raise NbdashError(message)
    return path


class NbdashWidget(anywidget.AnyWidget):
    """Base of every nbdash widget: message dispatch and a visible error trait."""

    error = traitlets.Unicode("").tag(sync=True)
    """The last error to show beside the widget; empty when all is well."""

    _bundle: ClassVar[str] = ""
    """The name of the widget's built front end, ``static/<name>.js``."""

    @property
    def _esm(self) -> str:
        # Read on construction rather than import, so `import nbdash.widgets` works in a
        # checkout whose bundles are not built yet.
        return static_esm(self._bundle).read_text(encoding="utf-8")

    _handlers: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(getattr(cls, "_handlers", {}))
        for attr, value in vars(cls).items():
            kind = getattr(value, "_nbdash_kind", None)
            if kind is not None:
                found[kind] = attr
        cls._handlers = found

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._dispatch)

    def _dispatch(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("kind"), str):
            logger.debug("ignoring malformed message %r", content)
            return
        kind, msg_id = content["kind"], str(content.get("id", ""))
        logger.debug("%s received %s", type(self).__name__, kind)

        attr = self._handlers.get(kind)
        if attr is None:
            self._reply(msg_id, error=f"Unknown message kind {kind!r}.")
            return
        try:
            result = getattr(self, attr)(content, [memoryview(b) for b in buffers])
        except NbdashError as exc:
            self._reply(msg_id, error=str(exc))
            return
        except Exception as exc:  # the user must see it, not a silent front end
            logger.exception("%s failed handling %s", type(self).__name__, kind)
            self._reply(msg_id, error=f"{type(exc).__name__}: {exc}")
            return
        self._reply(msg_id, result=result)

    def _reply(
        self, msg_id: str, *, result: Any = None, error: str | None = None
    ) -> None:
        buffers: Buffers = []
        if isinstance(result, _WithBuffers):
            result, buffers = result
        message: Envelope = {"kind": "reply", "id": msg_id}
        if error is not None:
            message["error"] = error
            self.error = error
        else:
            message["result"] = result
        self.send(message, buffers)

    def notify(
        self, kind: str, payload: dict[str, Any], buffers: Buffers | None = None
    ) -> None:
        """Send an unsolicited event of ``kind`` to the front end."""
        self.send({"kind": kind, **payload}, buffers or [])
