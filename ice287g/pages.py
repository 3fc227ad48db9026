"""Pages of their own for every state and every agency ever on ICE's list (issue 26).

Plain HTML generated from ``data/processed`` beside the Sphinx pages, one template per
page kind shared by both editions; the language is passed, never assumed.
"""
from __future__ import annotations

import re
import unicodedata


def state_slug(name: str) -> str:
    """The address slug of a state: ``"New York"`` -> ``"new-york"``.

    ASCII-folded, lower-cased, every run of characters other than ASCII letters and
    digits replaced by one ``-``, stripped of ``-`` at both ends. The feeds
    (``feeds/states/<slug>.atom``) and the state pages (``states/<slug>.html``) share it.
    """
    folded = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
