"""The book's editions: build the Spanish edition, and keep its translation files current.

English is built as ``jupyter-book build .`` builds it, into ``_build/html``. The Spanish
edition is the same sources (the same Markdown chapters, the same notebooks, run again with
``ICE287G_LANG=es`` so that every chart, table and glued value comes out in Spanish from the
same code) built by Sphinx with ``language = "es"``: its prose comes from the gettext catalogues
in ``locales/es/LC_MESSAGES/<page>.po``, one per page. It lands in ``_build/html/es``.

    python tools/editions.py build [en] [es] [-W] [--keep-going]   # both by default
    python tools/editions.py extract                        # refresh locales/es/*.po

``extract`` reads every page's translatable text (Sphinx's gettext builder, notebooks not
executed) and updates each ``.po``: new English paragraphs are added untranslated, vanished
ones are dropped, translations of unchanged paragraphs are kept. A changed English paragraph
therefore shows up as an untranslated entry, which ``tests/test_translations.py`` reports.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The editions: where each is built and the settings that differ from ``_config.yml``. English
#: is the book exactly as ``jupyter-book build .`` builds it (the same folders and overrides).
EDITIONS = {
    "en": {
        "outdir": "_build/html",
        "doctrees": "_build/.doctrees",
        "jupyter_cache": "_build/.jupyter_cache",
        "jupyter_execute": "_build/jupyter_execute",
        "config": {},
    },
    "es": {
        "outdir": "_build/html/es",
        "doctrees": "_build/.doctrees-es",
        # Its own execution cache: the cache is keyed on the notebook's code, which is the
        # same in every edition, and would otherwise hand Spanish pages the English outputs.
        "jupyter_cache": "_build/.jupyter_cache-es",
        # Executed notebooks and their glue data.
        "jupyter_execute": "_build/jupyter_execute-es",
        "config": {
            "language": "es",
            "html_title": "287(g) en Key West",
            "project": "287(g) en Key West",
            "author": "el equipo de datos de 287(g) en Key West",
            # myst-nb's toggle of a hide-input cell ("Show code cell source").
            "nb_code_prompt_show": "Mostrar el código de la celda",
            "nb_code_prompt_hide": "Ocultar el código de la celda",
        },
    },
}

LOCALES = ROOT / "locales"


def _skip_slow_optional_imports() -> None:
    """jsonschema (through jupyter-events) imports rfc3987_syntax when it is installed, which
    compiles 38 grammars: about a second per build process, for a format check no build uses
    (measured by benchmarks/build.py). jsonschema treats it as optional; hide it here, in the
    build process only (notebook kernels are other processes)."""
    sys.modules.setdefault("rfc3987_syntax", None)


def build(lang: str, *, warningiserror: bool = False, keep_going: bool = False,
          quiet: bool = False, force_all: bool = False) -> int:
    """Build edition ``lang`` into its folder; 0 when Sphinx succeeded."""
    _skip_slow_optional_imports()
    import myst_nb.sphinx_ext
    import sphinx.locale
    from jupyter_book.sphinx import build_sphinx

    # Sphinx keeps message catalogues in a module-level table and reuses a loaded one: after
    # a Spanish build in this process an English build would get the Spanish theme words.
    sphinx.locale.translators.clear()
    # nbclient logs "Executing notebook with kernel" at INFO on the traitlets logger; after a
    # first build in this process a handler prints it even with -q.
    logging.getLogger("traitlets").setLevel(logging.WARNING)

    edition = EDITIONS[lang]
    os.environ["ICE287G_LANG"] = lang  # notebook kernels inherit it
    # myst-nb writes executed notebooks and glue data to <outdir>/../jupyter_execute, a name
    # it does not let a setting change: for _build/html/es that is inside the English
    # edition's published folder. Point it at the edition's own folder (an absolute path:
    # myst-nb joins it to the outdir's parent, which then has no effect).
    myst_nb.sphinx_ext.OUTPUT_FOLDER = str(ROOT / edition["jupyter_execute"])
    overrides = {
        "external_toc_path": "_toc.yml",
        "latex_individualpages": False,
        "nb_execution_cache_path": str(ROOT / edition["jupyter_cache"]),
        **edition["config"],
    }
    result = build_sphinx(
        ROOT, ROOT / edition["outdir"], noconfig=True, path_config=str(ROOT / "_config.yml"),
        confoverrides=overrides, doctreedir=ROOT / edition["doctrees"], freshenv=force_all,
        warningiserror=warningiserror, keep_going=keep_going, quiet=quiet)
    return 0 if result == 0 else 1


def build_all(langs: list[str], **options) -> int:
    """Build the editions one after the other in this process (Sphinx, jupyter-book and
    myst-nb are imported once); stops at the first that fails."""
    for lang in langs:
        if not options.get("quiet"):
            print(f"=== The {lang} edition -> {EDITIONS[lang]['outdir']}", flush=True)
        status = build(lang, **options)
        if status:
            print(f"error: the {lang} edition did not build (see the messages above)",
                  file=sys.stderr)
            return status
    if not options.get("quiet"):
        print("The book is in _build/html/index.html (en español: _build/html/es/index.html)")
    return 0


def _gettext(outdir: Path) -> None:
    """Sphinx's gettext builder over the book (notebooks read, not executed)."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"),
        confoverrides={"external_toc_path": "_toc.yml", "latex_individualpages": False,
                       "nb_execution_mode": "off", "gettext_compact": False,
                       "gettext_location": False, "gettext_uuid": False},
        doctreedir=outdir / ".doctrees", builder="gettext", quiet=True,
        really_quiet=True)  # glue references cannot resolve: nothing was executed
    if result != 0:
        raise SystemExit(f"error: the gettext build failed ({result!r})")


def update_catalogue(template_path: Path, po_path: Path, lang: str, *,
                     locales: Path = LOCALES) -> tuple[int, int]:
    """Update ``po_path`` (under ``locales``) from ``template_path``; (entries, untranslated)."""
    from babel.messages.pofile import read_po, write_po

    with template_path.open("rb") as f:
        template = read_po(f, ignore_obsolete=True)
    if po_path.exists():
        with po_path.open("rb") as f:
            catalogue = read_po(f, locale=lang, ignore_obsolete=True)
        catalogue.update(template, no_fuzzy_matching=True, update_header_comment=False)
        # Keep the file to what is current: no obsolete (#~) entries.
        catalogue.obsolete.clear()
    else:
        catalogue = template
        catalogue.locale = lang
    catalogue.project = "287(g) in Key West"
    catalogue.version = "1"
    catalogue.fuzzy = False
    catalogue.header_comment = (
        f"# The {lang} translation of {po_path.relative_to(locales / lang / 'LC_MESSAGES')}: "
        "one entry per paragraph, heading or table cell of the English page.\n"
        "# Keep every {role}`...` exactly as in the English (glue keys, citations, links).\n"
        "# Updated by `python tools/editions.py extract`; see locales/README.md.")
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=0, no_location=True, omit_header=False,
             ignore_obsolete=True)
    text = buffer.getvalue()
    # The creation and revision dates change on every run; keep the file stable.
    lines = [line for line in text.split(b"\n")
             if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:'))]
    text = b"\n".join(lines)
    po_path.parent.mkdir(parents=True, exist_ok=True)
    if not po_path.exists() or po_path.read_bytes() != text:
        po_path.write_bytes(text)
    entries = [m for m in catalogue if m.id]
    return len(entries), sum(1 for m in entries if not m.string)


def extract(langs: list[str], only: list[str] | None = None) -> None:
    """Update the catalogues (``only``: just these pages, e.g. ``chapters/glossary``; others
    are left untouched, so translators working on other pages are not disturbed)."""
    with tempfile.TemporaryDirectory(prefix="ice287g-gettext-") as tmp:
        outdir = Path(tmp) / "gettext"
        _gettext(outdir)
        templates = sorted(outdir.rglob("*.pot"))
        for lang in langs:
            folder = LOCALES / lang / "LC_MESSAGES"
            wanted = set()
            for template in templates:
                rel = template.relative_to(outdir).with_suffix(".po")
                wanted.add(rel)
                if only and rel.with_suffix("").as_posix() not in only:
                    continue
                n, missing = update_catalogue(template, folder / rel, lang)
                print(f"{lang}/{rel}: {n} entries, {missing} untranslated")
            for po in sorted(folder.rglob("*.po")) if folder.is_dir() and not only else []:
                if po.relative_to(folder) not in wanted:
                    print(f"{lang}/{po.relative_to(folder)}: no such page any more, removed")
                    po.unlink()
            for mo in folder.rglob("*.mo") if folder.is_dir() else []:
                mo.unlink()  # compiled by Sphinx at build time; never committed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build editions into their folders (default: all)")
    b.add_argument("langs", nargs="*", metavar="LANG",
                   help=f"editions to build, in order (default: {' '.join(EDITIONS)})")
    b.add_argument("--all", dest="force_all", action="store_true",
                   help="re-read every page (a fresh Sphinx environment)")
    b.add_argument("-W", dest="warningiserror", action="store_true")
    b.add_argument("--keep-going", action="store_true")
    b.add_argument("-q", "--quiet", action="store_true")
    e = sub.add_parser("extract", help="update locales/<lang>/LC_MESSAGES/*.po")
    e.add_argument("langs", nargs="*", default=sorted(EDITIONS))
    e.add_argument("--only", nargs="+", metavar="PAGE",
                   help="only these pages' catalogues (e.g. chapters/glossary)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.command == "build":
        unknown = [lang for lang in args.langs if lang not in EDITIONS]
        if unknown:
            parser.error(f"unknown edition(s) {', '.join(unknown)}: the editions are "
                         f"{', '.join(EDITIONS)}")
        return build_all(args.langs or list(EDITIONS), warningiserror=args.warningiserror,
                         keep_going=args.keep_going, quiet=args.quiet,
                         force_all=args.force_all)
    extract(args.langs, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
