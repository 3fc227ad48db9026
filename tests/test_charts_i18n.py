"""Charts and maps in Spanish (issue 14): alt text from code, the words a PNG carries, month
names and every text the chart code and the four chart notebooks (national-growth, where,
maps, churn) translate. Small made-up data, except the last tests (the committed data and
shapes, and the notebooks themselves as the book's build ran them in each edition)."""

from __future__ import annotations

import ast
import base64
import io
import json
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from ice287g import charts, i18n, maps  # noqa: E402
from ice287g.words import join_names, state_name  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import editions  # noqa: E402
NOTEBOOKS = ["national-growth.ipynb", "where.ipynb", "maps.ipynb", "churn.ipynb"]
#: Words a Spanish chart may share with the English one: names, acronyms, units.
SHARED = {"ice", "key", "west", "us", "atlas", "florida", "texas", "monroe", "guam", "missouri",
          "alabama", "georgia", "oklahoma", "tennessee", "arkansas", "ohio", "brevard",
          "broward", "lee", "municipal", "no", "total"}
#: (Spanish words spelt like English ones: "municipal", "no", "total".)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def words(texts) -> set[str]:
    """The alphabetic words (two letters or more) of some texts, as written ("Jul" and the
    Spanish "jul" differ)."""
    return {w for t in texts for w in re.findall(r"[^\W\d_]{2,}", t)}


def leaked(es, en, allowed=frozenset()) -> set[str]:
    """Words of the English texts ``en`` found in the Spanish ``es``, but for names
    (:data:`SHARED`, ``allowed``; compared in lower case)."""
    ok = SHARED | {w.casefold() for w in allowed}
    return {w for w in words(es) & words(en) if w.casefold() not in ok}


#: County and state names (the maps name Florida's counties and states in both languages).
NAMES = words(maps.load_shapes().counties["name"]) | words(maps.load_shapes().states["name"])


def frame(periods: int = 12, freq: str = "MS", start: str = "2024-11-01") -> pd.DataFrame:
    idx = pd.date_range(start, periods=periods, freq=freq)
    return pd.DataFrame({"Task Force Model": range(periods),
                         "Jail Enforcement Model": [3] * periods}, index=idx)


def line_chart_texts(lang: str) -> dict:
    with i18n.language(lang):
        fig = charts.lines_chart(frame(), title=i18n.tr("Agreements listed"),
                                 ylabel=i18n.tr("Agreements"),
                                 marks=[("2025-01-20", charts.short_date("2025-01-20"))])
        return charts.png_texts(charts.png_bytes(fig, alt="A made-up chart of two lines"))


# --------------------------------------------------------------------------- show and the PNG
def test_show_requires_alt_text_and_publishes_it_in_the_output_metadata(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda *args, **kw: shown.append((args, kw)))
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with pytest.raises(TypeError):
        charts.show(fig)  # alt is a required keyword
    for bad in ["", "chart", "figure-1.png"]:
        with pytest.raises(ValueError):
            charts.show(fig, alt=bad)
    charts.finish(fig, ax, title="Counts rose from one to three", xlabel="Week", ylabel="Count")
    charts.show(fig, alt="  Line chart rising from one to three  ", name="fig_x")
    (glued_args, glued_kw), (shown_args, _) = shown
    image = shown_args[0]
    b64, md = image._repr_png_()
    data = base64.b64decode(b64) if isinstance(b64, str) else b64
    assert md["alt"] == "Line chart rising from one to three"  # stripped, as published
    assert charts.png_texts(data)["Description"] == "Line chart rising from one to three"
    # the glued copy is the same image with the same alt text
    record = glued_args[0]
    key = "application/papermill.record/image/png"
    assert key in record and glued_kw["metadata"]["image/png"]["alt"] == md["alt"]
    assert glued_kw["metadata"]["scrapbook"]["name"] == "fig_x"
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend shows it once


def test_png_carries_title_description_and_every_drawn_text():
    fig = charts.lines_chart(frame(), title="Made-up agreements rose every month of the year",
                             ylabel="Agreements", marks=[("2025-03-01", "A vote")])
    fig.axes[0].annotate("an arrow note", xy=(pd.Timestamp("2025-05-01"), 4))
    data = charts.png_bytes(fig, alt="Two made-up lines, one rising")
    got = charts.png_texts(data)
    assert got["Title"] == "Made-up agreements rose every month of the year"  # unwrapped
    assert got["Description"] == "Two made-up lines, one rising"
    texts = got["texts"]
    for expected in ["ICE publication date", "Agreements", "Task Force Model",
                     "Jail Enforcement Model", "A vote", "an arrow note", "2025", "Apr"]:
        assert expected in texts, (expected, texts)
    assert any(t.startswith("Source: ICE 287(g)") for t in texts)
    # the drawn title, wrapped on two lines, recorded as its words
    assert "Made-up agreements rose every month of the year" in texts
    assert not any("\n" in t for t in texts)
    assert Image.open(io.BytesIO(data)).mode == "P"  # still the compact palette PNG


def test_png_texts_leave_out_tick_labels_matplotlib_does_not_draw():
    fig, ax = plt.subplots()
    ax.plot([0, 10], [0, 1])
    ax.set_xticks([0, 5, 10, 50])
    ax.set_xticklabels(["zero", "five", "ten", "fifty"])
    ax.set_xlim(0, 10)
    ax2 = fig.add_axes([0.7, 0.7, 0.2, 0.2])
    ax2.set_xlabel("hidden label")
    ax2.set_axis_off()
    texts = charts.png_texts(charts.png_bytes(fig))["texts"]
    assert {"zero", "five", "ten"} <= set(texts)
    assert "fifty" not in texts and "hidden label" not in texts


def test_img_tag_png_carries_the_alt_text_too():
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    tag = charts.img_tag(fig, "A made-up rising line")
    data = base64.b64decode(re.search(r"base64,([^\"]+)\"", tag).group(1))
    assert charts.png_texts(data)["Description"] == "A made-up rising line"


def test_spanish_texts_survive_the_png_round_trip():
    with i18n.language("es"):
        fig = charts.barh_chart(pd.Series({"North Carolina": 5, "Florida": 3}),
                                title="Carolina del Norte encabeza — prueba", xlabel="Acuerdos",
                                ylabel="Estado")
        got = charts.png_texts(charts.png_bytes(fig, alt="Gráfico de barras: Carolina del Norte, 5"))
        assert got["Title"] == "Carolina del Norte encabeza — prueba"  # not Latin-1: iTXt
        assert got["Description"] == "Gráfico de barras: Carolina del Norte, 5"
        assert "Carolina del Norte" in got["texts"]
        # a wrapped label is recorded as its words (names stay comparable across editions)
        fig = charts.presence_chart(
            {"Monroe County Sheriff's Office": pd.DataFrame(
                {"published_at": pd.to_datetime(["2025-01-01", "2025-03-01"]),
                 "listed": [True, False]})}, title="Listed once, then not")
        assert "Monroe County Sheriff's Office" in charts.png_texts(charts.png_bytes(fig))["texts"]


# --------------------------------------------------------------------------- words and dates
def test_a_spanish_line_chart_has_no_english_word_of_the_english_one():
    en, es = line_chart_texts("en"), line_chart_texts("es")
    assert en["Title"] == "Agreements listed" and es["Title"] == "Acuerdos en la lista"
    assert {"Fecha de publicación de ICE", "Modelo de fuerza de tarea",
            "Modelo de control en cárceles", "20 ene 2025"} <= {t.strip() for t in es["texts"]}
    assert any(t.startswith("Fuente: listas de agencias participantes") for t in es["texts"])
    assert not leaked(es["texts"], en["texts"])


def test_concise_date_ticks_are_matplotlibs_in_english_and_spanish_month_names_in_spanish():
    def ticks(formatter, days, start):
        fig, ax = plt.subplots()
        ax.plot([pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=days)], [0, 1])
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter(locator))
        fig.canvas.draw()
        out = [t.get_text() for t in ax.get_xticklabels()], ax.xaxis.get_offset_text().get_text()
        plt.close(fig)
        return out

    for start in ["2024-03-05", "2024-11-20", "2025-06-01"]:
        for days in [130, 300, 700]:
            assert ticks(charts.ConciseDateFormatter, days, start) == \
                ticks(mdates.ConciseDateFormatter, days, start)
    with i18n.language("es"):
        labels, _ = ticks(charts.ConciseDateFormatter, 300, "2024-11-20")
        english = {"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
        assert not english & set(labels), labels
        assert set(labels) & {"ene", "feb", "mar", "abr", "jun", "jul", "ago", "sept", "oct", "nov",
                              "dic"}, labels


def test_short_spans_get_day_ticks_in_each_language():
    data = pd.DataFrame({"n": range(10)},
                        index=pd.date_range("2025-05-01", periods=10, freq="W"))
    for lang, expected in [("en", "Jun 1 2025"), ("es", "1 jun 2025")]:
        with i18n.language(lang):
            fig = charts.lines_chart(data, title="t", ylabel="y")
            assert expected in charts.png_texts(charts.png_bytes(fig))["texts"]


def test_category_labels_and_short_dates():
    assert charts.category_label("Task Force Model") == "Task Force Model"
    assert charts.category_label("Task Force Model", in_sentence=True) == "Task Force Model"
    assert charts.short_date("2025-01-20") == "Jan 20, 2025"
    with i18n.language("es"):
        assert charts.category_label("Task Force Model") == "Modelo de fuerza de tarea"
        assert charts.category_label("Task Force Model", in_sentence=True) == \
            "modelo de fuerza de tarea"
        assert charts.category_label("Warrant Service Officer") == \
            "Modelo de agente de ejecución de órdenes"
        assert charts.category_label("State Agency") == "Agencia estatal"
        assert charts.category_label("All other states") == "Los demás estados"
        assert charts.category_label("Pennsylvania") == "Pensilvania"
        assert charts.category_label("Sheriff's Office X") == "Sheriff's Office X"  # a name
        assert charts.short_date("2025-09-03") == "3 sept 2025"


def test_state_names():
    assert state_name("North Carolina") == "North Carolina"
    assert state_name("West Virginia", "es") == "Virginia Occidental"
    assert state_name("Hawaii", "es") == "Hawái"
    assert state_name("Texas", "es") == "Texas"
    assert state_name("Northern Mariana Islands", "es") == "Islas Marianas del Norte"


def test_barh_rest_row_stays_grey_and_highlight_holds_when_labels_are_translated():
    with i18n.language("es"):
        fig = charts.barh_chart(pd.Series({"Florida": 5, "Louisiana": 4, "All other states": 9}),
                                title="t", xlabel="x", ylabel="y", highlight=["Florida"])
        ax = fig.axes[0]
        names = [t.get_text() for t in ax.get_yticklabels()]
        colours = {n: matplotlib.colors.to_hex(p.get_facecolor()) for n, p in zip(names, ax.patches)}
        assert colours == {"Los demás estados": charts.CONTEXT_COLOR.lower(),
                           "Luisiana": charts.PALETTE["blue"].lower(),
                           "Florida": charts.HIGHLIGHT_COLOR.lower()}


# --------------------------------------------------------------------------- maps
def test_map_words_in_spanish():
    with i18n.language("es"):
        assert maps.class_labels([1, 10, 25]) == ["1–9", "10–24", "25 o más"]
        assert maps.class_labels([1000, 2000]) == ["1,000–1,999", "2,000 o más"]
        assert join_names(["Texas (3)", "Florida (2)", "Indiana (1)"]) == \
            "Texas (3), Florida (2) e Indiana (1)"
        assert join_names(["Texas (3)", "Iowa (1)"]) == "Texas (3) y Iowa (1)"
        assert maps.missing_text(pd.Series({"Northern Mariana Islands": 2, "Guam": 1})) == \
            "No se muestran (sin contorno en el mapa): Islas Marianas del Norte (2), Guam (1)."
        assert maps.missing_text(pd.Series(dtype=int)) == ""
        assert i18n.format_date("2026-05-18") == "18 de mayo de 2026"
        assert maps.footer("Nota.").startswith("Nota. Fuente: listas de agencias participantes")


def test_spanish_maps_carry_no_english_word(tmp_path):
    shapes = maps.load_shapes()
    counts = pd.Series({shapes.states["fips"].iloc[k]: v for k, v in
                        enumerate([30, 12, 1, 250])})
    florida = shapes.counties[shapes.counties["state"] == maps.FLORIDA]["fips"]
    fl = pd.Series(1, index=florida)
    texts = {}
    for lang in ("en", "es"):
        with i18n.language(lang):
            figs = [
                maps.state_map(shapes, counts, title=i18n.tr("latest list"),
                               note=maps.missing_text(pd.Series({"Guam": 1}))),
                maps.county_map(shapes, fl, state=maps.FLORIDA, highlight=maps.MONROE_FL,
                                highlight_label=maps.monroe_label(fl), title=maps.florida_title(fl)),
                maps.before_after_map(shapes, counts, counts, title=i18n.tr("latest list"),
                                      labels=(i18n.tr("latest list"), i18n.tr("latest list"))),
            ]
            alts = [maps.describe("states", shapes, counts, when=i18n.format_date("2026-05-18")),
                    maps.describe("counties", shapes, fl, when=i18n.format_date("2026-05-18")),
                    maps.describe_florida(shapes, fl, when=i18n.format_date("2026-05-18")),
                    maps.describe_before_after(shapes, counts, counts, cutoff="x", before_when="y",
                                               after_when="z")]
            texts[lang] = [t for f in figs for t in charts.png_texts(charts.png_bytes(f))["texts"]]
            texts[lang] += alts
    assert "Todos los condados de Florida tienen un acuerdo en la lista más reciente de ICE" \
        in texts["es"]
    # county and state names drawn or named in both
    names = words(shapes.counties["name"]) | words(shapes.states["name"])
    assert not leaked(texts["es"], texts["en"], names)


# --------------------------------------------------------------------------- the notebooks
def _tr_texts(source: str) -> set[str]:
    """The English texts a cell passes to tr(): literal first arguments, and the string
    values of a dict literal when tr() is given one of its items (tr(most[key], ...))."""
    tree = ast.parse(source)
    dicts = {t.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Dict)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.Subscript) and getattr(arg.value, "id", None) in dicts:
                found |= {v.value for v in dicts[arg.value.id].values
                          if isinstance(v, ast.Constant) and isinstance(v.value, str)}
            else:
                raise AssertionError(f"tr() of a computed text: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_text_a_chart_notebook_translates_has_a_spanish_entry(name):
    nb = json.loads((REPO / "chapters" / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    texts = set().union(*(_tr_texts("".join(c["source"])) for c in code))
    assert len(texts) >= 3, texts  # the notebook does translate its words
    missing = texts - set(i18n.catalogue("es"))
    assert not missing, missing
    # alt text comes from code now, not from cell metadata (which cannot be translated)
    assert not [c for c in code if c.get("metadata", {}).get("mystnb", {}).get("image")]
    assert not any("charts.show(fig" in "".join(c["source"]) and "alt=" not in
                   "".join(c["source"]) for c in code)


def _executed_images(built_book: Path, name: str, lang: str) -> list[dict]:
    """Every chart chapters/<name> displayed when the book's build ran it in ``lang`` (each
    edition runs the notebooks itself, with ICE287G_LANG set): alt text and PNG texts, read
    from the executed notebook the build wrote (tools/editions.py says where)."""
    import nbformat

    path = editions.executed_dir(lang, built_book.parent.parent) / "chapters" / name
    assert path.is_file(), f"the {lang} build wrote no executed {name} ({path})"
    nb = nbformat.read(path, as_version=4)
    images = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if out.get("output_type") != "display_data":
                continue
            if "image/png" in data:
                png = base64.b64decode(data["image/png"])
                alt = out.get("metadata", {}).get("image/png", {}).get("alt")
            elif "base64," in data.get("text/html", ""):
                html = data["text/html"]
                png = base64.b64decode(re.search(r"base64,([^\"]+)\"", html).group(1))
                alt = re.search(r'alt="([^"]*)"', html).group(1)
            else:
                continue
            images.append(dict(alt=alt, **charts.png_texts(png)))
    return images


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_chart_notebooks_in_spanish_draw_no_english_text(built_book, name):
    en = _executed_images(built_book, name, "en")
    es = _executed_images(built_book, name, "es")
    assert len(en) == len(es) >= 1
    for e, s in zip(en, es):
        assert s["alt"] and s["Description"] == s["alt"] and s["Title"]
        assert s["Title"] != e["Title"] and s["alt"] != e["alt"]
        found = leaked(s["texts"] + [s["alt"], s["Title"]], e["texts"] + [e["alt"], e["Title"]],
                       NAMES)
        assert not found, (s["Title"], found)
