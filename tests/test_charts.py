"""The chart helpers (ice287g.charts) and the light glue(), on small made-up data (the explorer: tests/test_explorer.py)."""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from ice287g import load  # noqa: E402
from ice287g import charts  # noqa: E402
from ice287g.glue import GLUE_PREFIX, glue  # noqa: E402


def simple_figure():
    fig, ax = plt.subplots()
    ax.plot(pd.date_range("2025-01-01", periods=5, freq="W"), [1, 2, 3, 5, 8])
    return fig, ax


def test_finish_refuses_a_chart_without_title_labels_or_source():
    fig, ax = simple_figure()
    for kwargs in [dict(title="", xlabel="x", ylabel="y"),
                   dict(title="t", xlabel=" ", ylabel="y"),
                   dict(title="t", xlabel="x", ylabel=""),
                   dict(title="t", xlabel="x", ylabel="y", source="")]:
        with pytest.raises(ValueError):
            charts.finish(fig, ax, **kwargs)
    plt.close(fig)


def test_finish_writes_title_labels_source_and_note():
    fig, ax = simple_figure()
    charts.finish(fig, ax, title="Counts rose every week from one to eight",
                  xlabel="Week", ylabel="Count", note="A caveat.")
    texts = [t.get_text() for t in fig.texts]
    assert any(charts.SOURCE_ICE.split(";")[0] in t and "A caveat." in t for t in texts)
    assert ax.get_xlabel() == "Week" and ax.get_ylabel() == "Count"
    assert "eight" in ax.get_title().replace("\n", " ")
    plt.close(fig)


def test_png_bytes_is_a_palette_png_within_the_limit_and_refuses_heavy_images():
    fig, _ = simple_figure()
    data = charts.png_bytes(fig)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "P"
    assert len(data) <= charts.MAX_IMAGE_BYTES
    with pytest.raises(ValueError, match="over the 1,000-byte limit"):
        charts.png_bytes(fig, max_bytes=1_000)
    plt.close(fig)


def test_img_tag_escapes_alt_text_and_refuses_a_non_description():
    fig, _ = simple_figure()
    tag = charts.img_tag(fig, 'Counts "rose" <fast> from one to eight', close=False)
    alt = re.search(r'alt="([^"]*)"', tag).group(1)
    assert alt == "Counts &quot;rose&quot; &lt;fast&gt; from one to eight"
    b64 = re.search(r'base64,([^"]+)"', tag).group(1)
    assert base64.b64decode(b64).startswith(b"\x89PNG")
    for bad in ["", "chart", "figure-1.png"]:
        with pytest.raises(ValueError):
            charts.img_tag(fig, bad, close=False)
    plt.close(fig)


def test_every_support_and_agency_type_has_its_own_colour():
    assert set(charts.SUPPORT_TYPE_COLORS) == set(load.SUPPORT_TYPES)
    assert set(charts.AGENCY_TYPE_COLORS) == set(load.AGENCY_TYPES)
    assert len(set(charts.SUPPORT_TYPE_COLORS.values())) == 3
    assert set(charts.SUPPORT_TYPE_COLORS.values()) <= set(charts.PALETTE.values())
    assert charts.color_for("Something else") == charts.CONTEXT_COLOR


def test_glue_writes_myst_nb_records(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw, metadata: shown.append((data, metadata)))
    import numpy as np

    glue("n_things", np.int64(42))
    glue("share_pct", 12.5, display=True)
    (d1, m1), (d2, m2) = shown
    assert d1 == {GLUE_PREFIX + "text/plain": "42"}  # a numpy int pastes as a plain 42
    assert m1["scrapbook"] == {"name": "n_things", "mime_prefix": GLUE_PREFIX}
    assert d2 == {"text/plain": "12.5"} and m2["scrapbook"]["mime_prefix"] == ""
    with pytest.raises(ValueError):
        glue("", 1)


def test_glue_prefix_matches_myst_nb():
    from myst_nb.ext.glue import GLUE_PREFIX as MYST_PREFIX

    assert GLUE_PREFIX == MYST_PREFIX
