"""The explorer in Spanish (issue 14): the same calls as the English edition, with the language
set, give Spanish captions, options, headings, titles, alt text, tables, source line and chart
texts (the PNG's ``ice287g:texts``), with no English word left; states are offered under their
Spanish names in Spanish alphabetical order. Browser tests read the Spanish edition's page."""

from __future__ import annotations

import base64
import html
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from book_browser import PHONE, close_page, open_page  # noqa: E402
from conftest import REPO  # noqa: E402
from ice287g import load  # noqa: E402
from ice287g import charts, explorer, i18n  # noqa: E402
from ice287g.words import state_name  # noqa: E402

ES_EXPLORER = "es/chapters/explorer.html"
#: Words the same in English and Spanish, or names: they may appear in both editions.
SHARED_WORDS = {"ICE", "Total", "Municipal", "Key", "West", "Florida", "Texas", "Ohio", "Carolina"}


def toy_data():
    """Ten agreements on three lists (five, eight, all ten): Florida, Texas, Ohio (one on
    the second list, two on the latest) and North Carolina (on the latest only)."""
    pubs = pd.DataFrame({"publication": ["p1", "p2", "p3"],
                         "published_at": pd.to_datetime(["2025-01-01", "2025-02-01",
                                                         "2025-03-01"])})
    states = ["Florida"] * 4 + ["Texas"] * 3 + ["Ohio"] * 2 + ["North Carolina"]
    agreements = pd.DataFrame([
        {"agreement_id": f"a{i}", "state": s, "agency": f"Agency {i}",
         "agency_type": load.AGENCY_TYPES[i % 3], "support_type": load.SUPPORT_TYPES[i % 3]}
        for i, s in enumerate(states)])
    listings = pd.DataFrame([(p, a) for k, p in enumerate(pubs["publication"])
                             for j, a in enumerate(agreements["agreement_id"]) if j <= 4 + 3 * k],
                            columns=["publication", "agreement_id"])
    return load.presence(listings, agreements, pubs), pubs


@pytest.fixture
def spanish():
    with i18n.language("es"):
        yield


def views(lang: str) -> dict:
    return explorer.views(*toy_data(), lang=lang)


def png_words(view: dict) -> list[str]:
    data = base64.b64decode(re.search(r'base64,([^"]+)"', view["html"]).group(1))
    return charts.png_texts(data)["texts"]


def visible_text(view: dict) -> str:
    """Everything a reader sees or hears of a view: its HTML's text, alt text, chart texts."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", view["html"]))
    return " ".join([text, view["alt"], *png_words(view)])


def words(text: str) -> set[str]:
    """The words of ``text``, as written (Spanish "feb" is not English "Feb")."""
    tokens = (t.strip(".,;:()“”\"") for t in text.replace("287(g)", " ").split())
    return {t for t in tokens if re.search(r"[^\W\d_]", t)}


def test_spanish_options_are_spanish_names_in_spanish_order():
    panels = views("es")
    assert [v["label"] for v in panels["State"]] == [
        "Todos los estados", "Carolina del Norte", "Florida", "Ohio", "Texas"]
    assert [v["label"] for v in panels["Support type"]] == [
        "Todos los modelos", *(i18n.tr(t, "es") for t in load.SUPPORT_TYPES)]
    assert [v["label"] for v in panels["Agency type"]] == [
        "Todos los tipos de agencia", "De condado", "Municipal", "Agencia estatal"]
    # English: ICE's names, alphabetically, as before.
    assert [v["label"] for v in views("en")["State"]] == [
        "All states", "Florida", "North Carolina", "Ohio", "Texas"]


def test_spanish_titles_alt_text_and_tables(spanish):
    panels = explorer.views(*toy_data())
    ohio = panels["State"][3]
    assert ohio["title"] == ("Ohio: 2 acuerdos en la lista más reciente de ICE, más que en la "
                             "primera (1 de enero de 2025), que tenía 0")
    assert ohio["alt"] == (
        "Gráfico de líneas de los acuerdos 287(g) en Ohio, en cada una de las 3 listas que ICE "
        "publicó entre el 1 de enero de 2025 y el 1 de marzo de 2025. Todos los acuerdos: 0 en "
        "la primera lista y 2 en la más reciente.")
    texas = panels["State"][4]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", texas["table"], re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r) for r in rows]
    # In the English edition's order (ICE's English words): the editions' tables match.
    assert cells[0] == ["Modelo", "De condado", "Municipal", "Agencia estatal", "Total"]
    assert [c[0] for c in cells[1:]] == [*(i18n.tr(t) for t in sorted(load.SUPPORT_TYPES)), "Total"]
    assert {c[0] for c in cells[1:-1]} <= {i18n.tr(t) for t in load.SUPPORT_TYPES}
    assert cells[-1][0] == "Total" and cells[-1][-1] == "3"
    assert "<caption>Texas: acuerdos en la lista más reciente de ICE, por modelo y tipo de " \
           "agencia</caption>" in texas["table"]
    assert charts.source_ice() in html.unescape(texas["html"])
    task_force = panels["Support type"][3]
    assert task_force["label"] == "Modelo de fuerza de tarea"
    assert "<th>Estado</th><th>Acuerdos</th>" in task_force["table"]
    # The legend's states are named the Spanish way, the rest "Los demás estados".
    everyone = panels["Support type"][0]
    assert "Carolina del Norte" not in png_words(everyone)  # not a top-three state here
    assert {"Florida", "Texas", "Ohio"} <= set(png_words(everyone))


def test_a_state_that_left_entirely_says_so_in_spanish(spanish):
    pres, pubs = toy_data()
    pres = pres[~((pres["state"] == "Texas") & (pres["publication"] == "p3"))]
    view = explorer.state_view(pres, pubs, "Texas")
    plt.close(view["fig"])
    assert view["title"].startswith("Texas: 0 acuerdos en la lista más reciente de ICE, menos que "
                                    "en la primera")
    assert "(ninguno en la lista más reciente)" in view["table"]


def test_no_english_word_reaches_a_spanish_view():
    english, spanish_ = views("en"), views("es")
    for panel in english:
        for en_view, es_view in zip(english[panel], spanish_[panel]):
            en_words = words(visible_text(en_view)) - SHARED_WORDS
            leaked = en_words & words(visible_text(es_view))
            assert not leaked, f"{panel} / {es_view['label']}: English words {sorted(leaked)}"
            # The chart itself: axis labels and legend in Spanish.
            texts = png_words(es_view)
            assert "Fecha de publicación de ICE" in texts and "Acuerdos en la lista" in texts


def test_every_text_of_the_explorer_has_a_spanish_entry():
    """Each English template explorer.py passes to tr() (literals, the TITLES and HEADINGS
    tables, the "All ...s" labels made from the panel nouns) is in the Spanish catalogue."""
    source = (REPO / "ice287g" / "explorer.py").read_text(encoding="utf-8")
    literals = re.findall(r'\btr\(\s*"((?:[^"\\]|\\.)*)"(?:\s*\n\s*"((?:[^"\\]|\\.)*)")?', source)
    texts = {a + b for a, b in literals}
    texts |= set(explorer.TITLES.values()) | set(explorer.HEADINGS.values())
    texts |= set(explorer.HEADINGS) | set(explorer.SHORT_AGENCY_TYPES.values()) | {explorer.REST}
    for noun in ("support type", "agency type"):
        texts |= {f"All {noun}s", f"287(g) agreements of all {noun}s in the states with most of them",
                  f"287(g) agreements of {noun} {{label}} in the states with most of them"}
    texts |= set(load.SUPPORT_TYPES) | set(load.AGENCY_TYPES)
    assert len(texts) > 40
    catalogue = i18n.catalogue("es")
    missing = sorted(t for t in texts if t not in catalogue)
    assert not missing, f"no Spanish for {missing}"


def test_spanish_panel_caption_and_heading(spanish):
    box, dropdown, _stack = explorer.panel("State", explorer.views(*toy_data())["State"])
    assert dropdown.description == "Estado"
    assert box.children[0].value == "<h2>Por estado</h2>"
    assert dropdown.options[0] == "Todos los estados"


def test_spanish_chart_text_stays_inside_the_image(spanish):
    """Spanish labels are longer (the Warrant Service Officer legend entry most of all):
    nothing may be cut off at an edge of the fixed layout."""
    pres, pubs = toy_data()
    figures = [explorer.state_view(pres, pubs, None)["fig"]]
    figures += [explorer.category_view(pres, pubs, "support_type", v, "support type")["fig"]
                for v in (None, *load.SUPPORT_TYPES)]
    for fig in figures:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
        assert "Modelo de agente de ejecución de órdenes" in {t.get_text() for t in texts} or \
            fig is not figures[0]
        for text in texts:
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.y0 >= -1, f"{text.get_text()!r} is cut off"
            assert box.x1 <= fig.bbox.width + 1 and box.y1 <= fig.bbox.height + 1, (
                f"{text.get_text()!r} runs off the image")
        plt.close(fig)


# ------------------------------------------------------------------------- in chromium
@pytest.mark.browser
def test_the_spanish_explorer_offers_every_state_in_spanish(book_server, chromium_browser):
    import csv

    with (REPO / "data" / "processed" / "agreements.csv").open(newline="", encoding="utf-8") as fh:
        states = {r["state"] for r in csv.DictReader(fh) if r["state"]}
    expected = sorted((state_name(s, "es") for s in states), key=explorer._sort_key)
    page, record = open_page(chromium_browser, book_server.base + ES_EXPLORER, viewport=PHONE)
    try:
        assert page.evaluate("document.documentElement.lang") == "es"
        selects = page.locator(".ice287g-explorer select")
        labels = [x.replace("\xa0", " ").strip()
                  for x in page.locator(".ice287g-explorer label").all_inner_texts()]
        assert [x for x in labels if x] == ["Estado", "Modelo", "Tipo de agencia"]
        headings = page.locator(".ice287g-explorer h2").all_inner_texts()
        assert headings == ["Por estado", "Por modelo", "Por tipo de agencia"]
        options = [o.replace("\xa0", " ") for o in
                   selects.first.locator("option").all_inner_texts()]
        assert options[0] == "Todos los estados" and options[1:] == expected
        if "North Carolina" in states:
            nc = selects.first.locator("option").nth(options.index("Carolina del Norte"))
            selects.first.select_option(nc.get_attribute("value"))
            page.wait_for_function("() => document.querySelector('#ice287g-explorer-state-view "
                                   "img').alt.includes('Carolina del Norte')")
        shown = page.locator(".ice287g-explorer img").evaluate_all(
            "imgs => imgs.filter(i => i.checkVisibility()).map(i => i.alt)")
        assert len(shown) == 3 and all(a.startswith("Gráfico de líneas de ") for a in shown), shown
        if "North Carolina" in states:
            assert shown[0].startswith("Gráfico de líneas de los acuerdos 287(g) en Carolina del "
                                       "Norte"), shown[0]
        text = page.locator("article").first.inner_text()
        for english in ("agreements on ICE's latest list", "Support type", "Line chart",
                        "Source: ICE", "All states"):
            assert english not in text, f"English on the Spanish explorer: {english!r}"
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)


def test_a_state_named_the_spanish_way_in_a_live_notebook_is_a_clear_error():
    """On Binder a reader may type the name the Spanish drop-down shows; views are looked up
    by ICE's names, so the error says which one to use (rather than an empty view)."""
    pres, pubs = toy_data()
    with pytest.raises(ValueError, match=r"'Carolina del Norte' \(ICE's name: 'North Carolina'\)"):
        explorer.views(pres, pubs, states_=["Carolina del Norte"])
    with pytest.raises(ValueError, match="'Atlantis'"):
        explorer.views(pres, pubs, states_=["Ohio", "Atlantis"])
    assert [v["label"] for v in explorer.views(pres, pubs, states_=["Ohio"])["State"]] == [
        "All states", "Ohio"]
