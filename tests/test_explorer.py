"""The explorer (ice287g.explorer) on small made-up data, and reader mode of the data notebooks."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from conftest import REPO  # noqa: E402
from ice287g import load  # noqa: E402
from ice287g import explorer  # noqa: E402


def toy_data():
    pubs = pd.DataFrame({"publication": ["p1", "p2", "p3"],
                         "published_at": pd.to_datetime(["2025-01-01", "2025-02-01",
                                                         "2025-03-01"])})
    rows = []
    states = ["Florida"] * 5 + ["Texas"] * 3 + ["Ohio"] * 2
    for i, state in enumerate(states):
        rows.append({"agreement_id": f"a{i}", "state": state, "agency": f"Agency {i}",
                     "agency_type": load.AGENCY_TYPES[i % 3],
                     "support_type": load.SUPPORT_TYPES[i % 3]})
    agreements = pd.DataFrame(rows)
    # p1 lists a0..a4 (Florida), p2 a0..a6, p3 all ten.
    listings = pd.DataFrame([(p, a) for k, p in enumerate(pubs["publication"])
                             for j, a in enumerate(agreements["agreement_id"]) if j <= 4 + 2 * k],
                            columns=["publication", "agreement_id"])
    return load.presence(listings, agreements, pubs), pubs


def test_every_state_has_a_view_alphabetically_after_all_states():
    pres, pubs = toy_data()
    panels = explorer.views(pres, pubs)
    # Ohio, the smallest state, is offered too (the explorer used to offer only the top ten).
    assert [v["label"] for v in panels["State"]] == ["All states", "Florida", "Ohio", "Texas"]
    assert [v["label"] for v in panels["Support type"]] == ["All support types", *load.SUPPORT_TYPES]
    assert [v["label"] for v in panels["Agency type"]] == ["All agency types", *load.AGENCY_TYPES]
    assert not hasattr(explorer, "ALL"), "the dead explorer.ALL constant is back"


def test_state_views_link_the_state_pages_in_the_book_only():
    """In the book a state's view links its page (states/<slug>.html beside the chapters) and
    "All states" the maps page's index of them; the notebook's views (with a kernel, where no
    such page is beside them) carry no such link; the other panels link nothing."""
    from ice287g import i18n

    pres, pubs = toy_data()
    for lang, florida in (("en", "Florida's own page"), ("es", "La página de Florida")):
        with i18n.language(lang):
            panels = explorer.views(pres, pubs)
        links = [re.findall(r'<p class="ice287g-explorer-page"[^>]*><a href="([^"]+)">([^<]+)</a>',
                            v["book_html"]) for v in panels["State"]]
        assert [h for [(h, _)] in links] == ["maps.html#state-pages", "../states/florida.html",
                                             "../states/ohio.html", "../states/texas.html"]
        assert html.unescape(links[1][0][1]).startswith(florida), links[1]
        assert all("ice287g-explorer-page" not in v["html"] for e in panels.values() for v in e)
        assert all(v["book_html"] == v["html"] for name in ("Support type", "Agency type")
                   for v in panels[name])
        # the book's page carries them (the first view in the page, the others in its JSON)
        page = explorer.static_html(panels)
        assert 'href="maps.html#state-pages"' in page and "../states/florida.html" in page


def test_views_state_their_finding_with_alt_text_source_and_table():
    pres, pubs = toy_data()
    panels = explorer.views(pres, pubs)
    for entries in panels.values():
        for view in entries:
            alt = re.search(r'<img alt="([^"]+)"', view["html"]).group(1)
            assert view["label"].split()[-1] in alt or view["label"] in alt
            assert "<table" in view["html"] and "<caption>" in view["html"]
            assert "Source: ICE" in view["html"]
            assert view["title"] in view["html"].replace("&#x27;", "'")
    ohio = panels["State"][2]
    # Ohio: a8 is listed on p3 only (a9 never), so one agreement, in the singular.
    assert ohio["title"] == ("Ohio: 1 agreement on ICE's latest list, up from 0 on the first "
                             "(January 1, 2025)")
    assert "0 on the first list and 1 on the latest" in ohio["alt"]
    texas = panels["State"][3]  # a5, a6 from p2, a7 from p3: 3 on the latest
    assert texas["title"].startswith("Texas: 3 agreements on ICE's latest list, up from 0")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", texas["table"], re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r) for r in rows]
    assert cells[0][0] == "Support type" and cells[0][-1] == "Total"
    assert cells[-1][0] == "Total" and cells[-1][-1] == "3"


def test_a_state_that_left_the_list_entirely_still_has_a_view():
    pres, pubs = toy_data()
    # Texas's agreements are dropped from the latest publication.
    pres = pres[~((pres["state"] == "Texas") & (pres["publication"] == "p3"))]
    view = explorer.state_view(pres, pubs, "Texas")
    plt.close(view["fig"])
    assert view["title"].startswith("Texas: 0 agreements on ICE's latest list")
    assert "none on the latest list" in view["table"]


def test_state_charts_are_small_palette_pngs():
    pres, pubs = toy_data()
    view = explorer.views(pres, pubs)["State"][1]
    data = base64.b64decode(re.search(r'base64,([^"]+)"', view["html"]).group(1))
    image = Image.open(io.BytesIO(data))
    assert image.mode == "P" and len(image.getcolors()) <= explorer.COLORS_ONE_LINE
    assert image.size == (round(explorer.FIGSIZE[0] * explorer.DPI),
                          round(explorer.FIGSIZE[1] * explorer.DPI))
    assert len(data) < 8_000, f"a state's chart is {len(data):,} bytes"


def test_explorer_panel_links_dropdown_index_to_stack_client_side():
    import ipywidgets as widgets

    pres, pubs = toy_data()
    box, dropdown, stack = explorer.panel("State", explorer.views(pres, pubs)["State"])
    assert len(dropdown.options) == len(stack.children) == 4
    state = widgets.Widget.get_manager_state(widgets=None)["state"]
    links = [m["state"] for m in state.values() if m["model_name"] == "LinkModel"]
    assert any(link["source"] == [f"IPY_MODEL_{dropdown.model_id}", "index"]
               and link["target"] == [f"IPY_MODEL_{stack.model_id}", "selected_index"]
               for link in links)
    # The views share one layout and one style model (the widget state stays small).
    assert len({child.layout.model_id for child in stack.children}) == 1
    assert len({child.style.model_id for child in stack.children}) == 1


def test_explorer_chart_text_stays_inside_the_image():
    """No tick label, axis label or legend of an explorer chart is cut off at an edge
    (the explorer's charts have a fixed layout, not a tight bounding box)."""
    pres, pubs = toy_data()
    figures = [explorer.state_view(pres, pubs, state)["fig"] for state in (None, "Ohio")]
    figures += [explorer.category_view(pres, pubs, "support_type", value, "support type")["fig"]
                for value in (None, *load.SUPPORT_TYPES)]
    for fig in figures:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
        labels = {t.get_text() for t in texts}
        assert {"Agreements listed", "ICE publication date"} <= labels, labels
        for text in texts:
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.y0 >= -1, f"{text.get_text()!r} is cut off"
            assert box.x1 <= fig.bbox.width + 1 and box.y1 <= fig.bbox.height + 1, (
                f"{text.get_text()!r} runs off the image")
        plt.close(fig)


# ------------------------------------------------------------------------- reader mode
def test_every_code_cell_of_the_data_notebooks_is_collapsed_in_the_book():
    """Reader mode: tools/reader_mode.py --check finds no code cell without hide-input (or a
    remove tag), so every data page opens with charts and prose and the code folded."""
    result = subprocess.run([sys.executable, str(REPO / "tools" / "reader_mode.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    n_code = sum(1 for p in (REPO / "chapters").glob("*.ipynb")
                 for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "code")
    assert n_code >= 20


def test_reader_mode_tags_only_untagged_code_cells():
    sys.path.insert(0, str(REPO / "tools"))
    import reader_mode

    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "x"},
        {"cell_type": "code", "metadata": {}, "source": "1"},
        {"cell_type": "code", "metadata": {"tags": ["remove-input"]}, "source": "2"},
        {"cell_type": "code", "metadata": {"tags": ["other"]}, "source": "3"},
    ]}
    assert reader_mode.untagged(nb) == [1, 3]
    assert reader_mode.tag(nb) == 2
    assert [c["metadata"].get("tags") for c in nb["cells"]] == [
        None, ["hide-input"], ["remove-input"], ["other", "hide-input"]]
    assert reader_mode.untagged(nb) == []


# ------------------------------------------------------------------------- the static book
def _static():
    pres, pubs = toy_data()
    every = explorer.views(pres, pubs)
    return every, explorer.static_html(every)


def test_the_static_explorer_carries_only_each_panels_first_view():
    """The page holds a labelled <select> and the first view per panel; every other view sits
    in the JSON element the build moves out into one file each (issue 22)."""
    every, page = _static()
    shell, moved = explorer.split_views(page)
    assert f'id="{explorer.VIEWS_ID}"' in page and f'id="{explorer.VIEWS_ID}"' not in shell
    assert "data:image/png" in shell
    firsts = [entries[0] for entries in every.values()]
    others = [v for entries in every.values() for v in entries[1:]]
    assert shell.count('class="ice287g-explorer-view"') == len(firsts) == 3
    for view in firsts:
        assert view["book_html"] in shell
    for view in others:
        assert view["title"] not in shell, view["title"]
        assert view["alt"] not in shell
    assert sorted(moved) == sorted(v["key"] for v in others)
    assert all(moved[v["key"]] == v["book_html"] for v in others)
    # Every option names a view: the panel's first in the page, the others in a file.
    for name, entries in every.items():
        key = explorer.URL_KEYS[name]
        select = re.search(rf'<label for="ice287g-explorer-{key}">[^<]+</label> '
                           rf'<select id="ice287g-explorer-{key}"[^>]*>(.*?)</select>', shell)
        assert select, f"no labelled select for {name}"
        values = re.findall(r'<option value="([^"]+)"', select.group(1))
        assert [f"{key}-{v}" for v in values] == [v["key"] for v in entries]
        labels = re.findall(r">([^<]+)</option>", select.group(1))
        assert labels == [v["label"] for v in entries]


def test_view_files_call_back_with_their_view_and_stale_files_go(tmp_path):
    every, page = _static()
    _shell, moved = explorer.split_views(page)
    (tmp_path / "state-gone.js").write_text("old", encoding="utf-8")
    written = explorer.write_views(tmp_path, moved)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{k}.js" for k in moved)
    assert len(written) == len(moved)
    for path in written:
        text = path.read_text(encoding="utf-8")
        call = re.fullmatch(rf"{explorer.CALLBACK}\((\".*?\"),(\".*\")\);\n", text, re.S)
        assert call, text[:80]
        assert json.loads(call.group(1)) == path.stem
        assert json.loads(call.group(2)) == moved[path.stem]
        assert "<" not in text and text.isascii()  # nothing a parser could take for markup


def test_view_keys_are_file_and_url_safe_and_language_free():
    assert explorer.view_key("State", None) == "state-all"
    assert explorer.view_key("State", "North Carolina") == "state-north-carolina"
    assert explorer.view_key("Support type", "Task Force Model") == "support-task-force-model"
    assert explorer.view_key("Agency type", "") == "agency-blank"
    hostile = explorer.view_key("State", '../<script>alert("x")</script> Ñandú')
    assert re.fullmatch(r"state-[a-z0-9-]+", hostile), hostile
    # A page whose JSON names a view that could not be a file name is refused.
    bad = explorer.static_html({"State": [{"key": "state-all", "label": "All", "html": "<p>a</p>"},
                                          {"key": "../x", "label": "X", "html": "<p>x</p>"}]})
    try:
        explorer.split_views(bad)
    except ValueError as err:
        assert "../x" in str(err)
    else:
        raise AssertionError("a view key with a path in it was accepted")


def test_views_json_cannot_end_its_script_element():
    views_ = {"State": [{"key": "state-all", "label": "All", "html": "<p>a</p>"},
                        {"key": "state-x", "label": "X",
                         "html": "<p>&lt;/script&gt;</p></script><script>alert(1)</script>"}]}
    page = explorer.static_html(views_)
    _shell, moved = explorer.split_views(page)
    assert moved == {"state-x": views_["State"][1]["html"]}
    assert page.count("</script>") == 2  # the JSON element's and the page script's own


def test_the_notebook_output_is_the_widgets_and_the_static_page():
    pres, pubs = toy_data()
    bundle = explorer.build(pres, pubs)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # JupyterLab with a kernel
    assert 'id="ice287g-explorer"' in bundle["text/html"]       # the book
    # The book's HTML build takes the text/html: myst-nb ranks the widget view after it.
    import yaml

    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    overrides = {(b, m): p for b, m, p in config["sphinx"]["config"]["nb_mime_priority_overrides"]}
    from myst_nb.core.render import base_render_priority

    html_rank = base_render_priority()["html"]["text/html"]
    assert overrides[("html", "application/vnd.jupyter.widget-view+json")] > html_rank
