"""The code's words: gettext catalogues extracted with Babel (``tools/editions.py extract``),
and a missing Spanish text still stops the Spanish build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ice287g import i18n

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import editions  # noqa: E402


def test_every_literal_text_the_code_translates_has_its_spanish():
    messages = editions.code_messages()
    assert len(messages) > 50
    assert messages["Agreements"] and "ICE publication date" in messages  # charts' words
    spanish = i18n.catalogue("es")
    missing = sorted(text for text in messages if text not in spanish)
    assert not missing, f"code texts with no Spanish (run python tools/editions.py extract): {missing}"


def test_extract_adds_a_new_text_untranslated_to_the_catalogue_of_its_module(tmp_path):
    (tmp_path / "_ext").mkdir()
    package = tmp_path / "ice287g"
    folder = package / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (package / "charts.py").write_text(
        'from .i18n import tr\n\nTITLE = tr("Agreements listed")\n'
        'NEW = i18n.tr("A brand-new sentence about {n} lists", n=3)\n'
        'KEY = tr(TITLES[row["kind"]])  # not a literal text: not extracted\n',
        encoding="utf-8")
    (folder / "charts.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Agreements listed"\nmsgstr "Acuerdos en la lista"\n', encoding="utf-8")
    added = editions.extract_code(["es"], tmp_path)
    assert added == {"ice287g/locale/es/LC_MESSAGES/charts.po":
                     ["A brand-new sentence about {n} lists"]}
    # the old translation kept, the new text there untranslated: the Spanish edition fails on it
    assert i18n.load_catalogue(folder, "es") == {"Agreements listed": "Acuerdos en la lista"}
    assert 'msgid "A brand-new sentence about {n} lists"\nmsgstr ""' in \
        (folder / "charts.po").read_text(encoding="utf-8")
    assert editions.extract_code(["es"], tmp_path) == {}  # nothing more to add


@pytest.mark.slow
def test_the_spanish_build_fails_with_w_on_a_missing_code_text(tmp_path):
    """A notebook whose code writes a text with no Spanish: the Spanish build (its kernels
    get ICE287G_LANG=es, as tools/editions.py gives them) stops with -W, naming the text."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["myst_nb"]\nlanguage = "es"\nnb_execution_mode = "force"\n'
        'exclude_patterns = ["_build"]\nnb_execution_show_tb = True\n', encoding="utf-8")
    (src / "index.md").write_text("# Índice\n\n```{toctree}\npage\n```\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Página"),
                nbformat.v4.new_code_cell(
                    'from ice287g import i18n\nprint(i18n.tr("A text no catalogue has"))')]
    nbformat.write(nb, src / "page.ipynb")
    env = {**os.environ, "ICE287G_LANG": "es", "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src),
                          str(tmp_path / "out")], env=env, capture_output=True, text=True,
                         timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "no es translation for 'A text no catalogue has'" in output, output
