"""Text from ICE's sheets reaches the book's HTML only escaped (issue 20): table cells, column
headers, captions, alt text and glued tables; and a label ICE never used does not stop the
Spanish edition (it is shown as ICE wrote it, marked as untranslated)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from conftest import REPO
from ice287g import load, words
from ice287g import i18n, safe_html, story

#: What an attacker would put in a sheet's cells.
PAYLOADS = [
    "<img src=x onerror=alert(1)> Sheriff's Office",
    "<script>alert(2)</script>",
    "<!--<script>",
    "</script><script>alert(3)</script>",
    "\"'><svg onload=alert(4)>",
    "javascript:alert(5)",
    "[x](javascript:alert(6))",
    "line\u2028sep\u2029para",
    "{{glue}} **bold** <b>b</b> &amp; &lt;",
]


class Elements(HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer would see them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_inert(fragment: str, allowed=frozenset({"table", "thead", "tbody", "tr", "th", "td",
                                                   "caption", "style", "span", "sup", "abbr",
                                                   "a", "br"})):
    """No element or event-handler attribute came from the payloads, and each payload's text
    is there to read, character for character."""
    parsed = Elements(fragment)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= allowed, f"elements from the data: {sorted(tags - allowed)}"
    handlers = [(tag, a) for tag, attrs in parsed.tags for a in attrs if a.startswith("on")]
    assert not handlers, f"event-handler attributes: {handlers}"
    assert "<!--" not in fragment, "a comment opened by the data"
    hrefs = [attrs.get("href", "") for tag, attrs in parsed.tags if tag == "a"]
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")]
    return "".join(parsed.text)


def payload_frame() -> pd.DataFrame:
    return pd.DataFrame({"State": PAYLOADS, "Agency": list(reversed(PAYLOADS)),
                         "<b>n</b>": range(len(PAYLOADS))})


# --------------------------------------------------------------------------- table cells
def test_every_cell_header_and_caption_of_a_table_is_escaped():
    html = safe_html.table(payload_frame(), caption=PAYLOADS[0]).to_html()
    text = assert_inert(html)
    for payload in PAYLOADS:
        assert payload in text, f"{payload!r} is not shown as written"
    assert "<b>n</b>" in text  # the header shows its characters


def test_story_tables_escape_their_cells_and_keep_their_own_links():
    df = pd.DataFrame({"What": PAYLOADS,
                       "Sources": pd.Series([safe_html.markup('<a href="{u}">{t}</a>',
                                                              u="https://example.org/?a=1&b=2",
                                                              t=p) for p in PAYLOADS],
                                            dtype=object)})
    html = story.style(df, PAYLOADS[1], min_widths={"What": 18}).to_html()
    text = assert_inert(html)
    for payload in PAYLOADS:
        assert text.count(payload) >= 2
    assert html.count('<a href="https://example.org/?a=1&amp;b=2">') == len(PAYLOADS)


def test_the_notebooks_show_tables_only_through_safe_html():
    """No chapter notebook shows a Styler, to_html() or hand-made HTML of a DataFrame itself."""
    found = []
    for path in sorted((REPO / "chapters").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            # story.style is the story tables' way through safe_html.table
            for pattern in (r"(?<!\bstory)\.style\b", r"\.to_html\(", r"\.set_caption\(",
                            r"escape=False"):
                if re.search(pattern, source):
                    found.append(f"{path.name} cell {i}: {pattern}")
    assert not found, found


def test_numbers_and_missing_values_read_as_before():
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")], "c": ["x", None]})
    html = safe_html.table(df).to_html()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == ["1", "0.500000", "x", "2", "", ""]


# --------------------------------------------------------------------------- glue
def test_a_glued_table_carries_escaped_html(monkeypatch):
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    from ice287g.glue import glue

    glue("hostile_table", story.style(payload_frame(), "caption"), display=True)
    (bundle,) = shown
    assert_inert(bundle["text/html"])


def test_glued_text_is_plain_text_only():
    """A glued string is pasted by {glue:text} from its text/plain form only (a text node,
    never parsed as Markdown or HTML); nothing else is offered for it."""
    import IPython.core.formatters

    bundle, _ = IPython.core.formatters.format_display_data(PAYLOADS[6])
    assert set(bundle) == {"text/plain"}


# --------------------------------------------------------------------------- alt text
def test_alt_text_cannot_leave_its_attribute():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ice287g import charts

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    alt = "Chart of " + " ".join(PAYLOADS)
    tag = charts.img_tag(fig, alt)
    parsed = Elements(tag)
    assert [t for t, _ in parsed.tags] == ["img"]
    assert parsed.tags[0][1]["alt"] == alt
    assert set(parsed.tags[0][1]) == {"alt", "src", "style"}


# --------------------------------------------------------------------------- unknown labels
def test_an_unknown_label_is_ice_text_marked_untranslated_in_spanish():
    assert i18n.label("Sheriff", lang="en") == "Sheriff"
    es = i18n.label("Sheriff", lang="es")
    assert es == "Sheriff" and isinstance(es, i18n.Untranslated)
    assert "Sheriff" in i18n.UNTRANSLATED["es"]
    assert i18n.label("County", lang="es") == "Condado"  # a known label is translated
    assert i18n.label("", lang="es") == ""
    with pytest.raises(i18n.TranslationError):  # the book's own words stay strict
        i18n.tr("Sheriff", lang="es")


def test_an_unknown_label_in_a_spanish_table_is_marked_as_english():
    with i18n.language("es"):
        label = words.support_type_label("<img src=x onerror=alert(1)> Sheriff")
        html = safe_html.table(pd.DataFrame({"Tipo": [label, "Condado"]})).to_html()
    text = assert_inert(html)
    assert "<img src=x onerror=alert(1)> Sheriff" in text
    mark = re.search(r'<span class="untranslated" lang="en">([^<]*)</span>'
                     r'<sup class="untranslated-mark"><abbr title="([^"]+)">([^<]+)</abbr></sup>',
                     html)
    assert mark and mark.group(3) == "sin trad." and "ICE" in mark.group(2)
    assert html.count('lang="en"') == 1  # the translated label is not marked


def test_the_explorer_shows_an_unknown_agency_type_in_spanish():
    from ice287g import explorer

    ds = load.dataset()
    pres = ds.presence.copy()
    latest = pres[pres["publication"] == ds.latest].index[:3]
    pres.loc[latest, "agency_type"] = "Sheriff"
    pres.loc[latest, "support_type"] = "Posse"
    state = pres.loc[latest[0], "state"]
    view = explorer.state_view(pres, ds.pubs, state, lang="es")
    assert '<span class="untranslated" lang="en">Sheriff</span>' in view["table"]
    assert '<span class="untranslated" lang="en">Posse</span>' in view["table"]


def test_the_explorer_tables_are_escaped_like_the_books():
    html = safe_html.compact_table(payload_frame(), PAYLOADS[3], table_class="dataframe x")
    text = assert_inert(html)
    for payload in PAYLOADS:
        assert payload in text
    assert not re.search(r">\s+<", html)  # compact: stored in the widget state
