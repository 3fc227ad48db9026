"""The book's chart style and helpers: one look for every figure.

Every chart in the book states its finding in the title, labels its axes with units and
carries a source line; alt text is written next to the figure where it is glued.
"""

from __future__ import annotations

from contextlib import contextmanager
from importlib import resources

import matplotlib.pyplot as plt

#: Okabe & Ito's colour-blind-safe palette, by name.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#999999",
}

SOURCE_ICE = "Source: ICE 287(g) participating-agency lists; analysis: 287(g) in Key West."


def style_path() -> str:
    """Path of the book's ``.mplstyle`` file."""
    return str(resources.files("ice287g") / "ice287g.mplstyle")


def use_style() -> None:
    """Apply the book's style to every later figure."""
    plt.style.use(style_path())


@contextmanager
def styled():
    """Context manager applying the book's style to the figures made inside it."""
    with plt.style.context(style_path()):
        yield


def finish(fig, ax, *, title: str, xlabel: str, ylabel: str, source: str = SOURCE_ICE):
    """Give a chart its finding-stating title, axis labels and source line."""
    if not title or not xlabel or not ylabel or not source:
        raise ValueError("every chart needs a title, both axis labels and a source line")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.text(0.01, -0.02, source, ha="left", va="top", fontsize=9, color="#555555",
             transform=fig.transFigure)
    return fig
