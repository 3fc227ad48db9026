"""``glue``: store a value in a notebook's output so the book can paste it elsewhere.

The same protocol as ``myst_nb.glue`` (myst-nb 1.x): the value's display data is written under
the ``application/papermill.record/`` mime prefix with ``scrapbook`` metadata naming it; the
book's ``{glue:text}``, ``{glue:figure}`` etc. read it back. It is re-implemented here (a few
lines) only because importing ``myst_nb.glue`` imports ``nbformat`` and its JSON-schema
validators, which costs about 3 seconds per notebook: too much against the 10-second budget
per notebook. ``tests/test_notebooks.py`` checks that every glued key reaches the book.
"""

from __future__ import annotations

from typing import Any

#: The mime prefix myst-nb reads glued data from (``myst_nb.ext.glue.GLUE_PREFIX``).
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = False) -> None:
    """Glue ``variable`` under ``name`` (not displayed unless ``display``).

    Numbers are glued as numbers (ints and floats, not strings): format them where they
    are pasted, e.g. ``{glue:text}`notebook.ipynb::key:,d```.
    """
    import IPython.core.formatters
    from IPython.display import display as ipy_display

    if not name or not isinstance(name, str):
        raise ValueError("a glue key must be a non-empty string")
    if hasattr(variable, "item") and callable(variable.item) and getattr(variable, "ndim", 1) == 0:
        variable = variable.item()  # numpy scalars paste like Python numbers
    mimebundle, metadata = IPython.core.formatters.format_display_data(variable)
    mime_prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=mime_prefix)
    ipy_display({mime_prefix + k: v for k, v in mimebundle.items()}, raw=True,
                metadata=metadata)
