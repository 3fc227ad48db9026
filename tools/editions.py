"""The book's editions: build the Spanish edition, and keep its translation files current.

English is built as ``jupyter-book build .`` builds it, into ``_build/html``. The Spanish
edition is the same sources (the same Markdown chapters, the same notebooks, run again with
``ICE287G_LANG=es`` so that every chart, table and glued value comes out in Spanish from the
same code) built with Sphinx's ``language = "es"``: its prose comes from the gettext catalogues
in ``locales/es/LC_MESSAGES/<page>.po``, one per page. It lands in ``_build/html/es``. Each
edition is built in its own process by Jupyter Book's command line (``jupyter-book build``),
the two side by side.

    python tools/editions.py build [en] [es] [-W] [--keep-going]   # both by default
    python tools/editions.py extract                        # refresh every .po: prose and code

``extract`` reads every page's translatable text (Sphinx's gettext builder, notebooks not
executed) and updates each ``.po``: new English paragraphs are added untranslated, vanished
ones are dropped, translations of unchanged paragraphs are kept. A changed English paragraph
therefore shows up as an untranslated entry, which ``tests/test_translations.py`` reports.

The same command extracts the words the code writes (``i18n.tr("...")`` and ``i18n.label("...")``
with a literal text; Babel's extraction with :func:`literal_calls` as its method) from
``ice287g/`` and ``_ext/``: a text no catalogue has yet is added, untranslated, to
``ice287g/locale/<lang>/LC_MESSAGES/<module>.po`` (the module that writes it), so the Spanish
build fails with ``-W`` until it is translated. Entries are never removed from the code's
catalogues: many are ICE's data values or theme words that no code names literally.
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the package of this checkout (python tools/editions.py ...)
    sys.path.insert(0, str(ROOT))
from ice287g import files  # noqa: E402

#: The editions. Each is built in its own process by Jupyter Book's command line
#: (``jupyter-book build``), so no module state is shared between them and no dependency's
#: internals are touched. English is exactly ``jupyter-book build .`` (into ``_build/html``).
#: Spanish is ``jupyter-book build .`` with a configuration made from ``_config.yml`` plus the
#: settings below, into its own folder (``_build/edition-es/_build``: doctrees, execution cache,
#: executed notebooks and glue data), and its HTML is then mirrored into ``_build/html/es``.
EDITIONS = {
    "en": {"folder": "_build", "config": {}},
    "es": {
        # Jupyter Book puts its _build folder inside --path-output (_build/edition-es).
        "folder": "_build/edition-es/_build",
        "site": "_build/html/es",
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
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def html_dir(lang: str, root: Path = ROOT) -> Path:
    """Where Jupyter Book writes edition ``lang``'s HTML."""
    return root / EDITIONS[lang]["folder"] / "html"


def executed_dir(lang: str, root: Path = ROOT) -> Path:
    """Edition ``lang``'s executed notebooks and glue data (myst-nb's ``jupyter_execute``)."""
    return root / EDITIONS[lang]["folder"] / "jupyter_execute"


def site_dir(lang: str, root: Path = ROOT) -> Path:
    """Where readers find edition ``lang`` (English at the root, Spanish under ``es/``)."""
    return root / EDITIONS[lang].get("site", EDITIONS[lang]["folder"] + "/html")


def write_config(folder: Path, settings: dict, note: str) -> Path:
    """``folder/_config.yml``: a copy of ``_config.yml`` with ``settings`` under
    ``sphinx.config`` and the local extensions' folders made absolute (Jupyter Book reads
    them relative to the configuration file). Rewritten only when its text changes."""
    config = copy.deepcopy(yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")))
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: str((ROOT / path).resolve())
                                  for name, path in sphinx.get("local_extensions", {}).items()}
    sphinx.setdefault("config", {}).update(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "_config.yml"
    text = (f"# Made by tools/editions.py from _config.yml for {note}; do not edit.\n"
            + yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        files.write_text(path, text)
    return path


def edition_config(lang: str) -> Path | None:
    """Edition ``lang``'s configuration file (None: ``_config.yml`` itself)."""
    settings = EDITIONS[lang]["config"]
    if not settings:
        return None
    return write_config(ROOT / EDITIONS[lang]["folder"], settings, f"the {lang} edition")


def kernel_environment(lang: str) -> dict[str, str]:
    """The build process's environment for edition ``lang``; notebook kernels inherit it.

    - ``ICE287G_LANG``: the language the notebooks' code writes in.
    - ``IPYTHONDIR``: the build's kernels get an IPython folder of their own, so a reader's
      ``~/.ipython`` start-up files cannot change what the book computes, and ipykernel's
      routine warning that it listens over TCP without encryption (on 127.0.0.1, for this
      build alone) is not printed once per notebook; the kernel's errors still are.
    """
    ipython = ROOT / "_build" / ".ipython"
    profile = ipython / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    config = profile / "ipython_kernel_config.json"
    text = '{"IPKernelApp": {"log_level": "ERROR"}}\n'
    if not config.is_file() or config.read_text() != text:
        config.write_text(text)
    return {**os.environ, "ICE287G_LANG": lang, "IPYTHONDIR": str(ipython)}


def jupyter_book() -> list[str]:
    """Jupyter Book's command line, from this environment."""
    script = Path(sys.executable).parent / "jupyter-book"
    return [str(script)] if script.is_file() else ["jupyter-book"]


def build_command(lang: str, *, warningiserror: bool = False, keep_going: bool = False,
                  quiet: bool = False, force_all: bool = False) -> list[str]:
    """The ``jupyter-book build`` command line of edition ``lang``."""
    command = [*jupyter_book(), "build", str(ROOT)]
    config = edition_config(lang)
    if config is not None:
        command += ["--config", str(config), "--path-output",
                    str(ROOT / EDITIONS[lang]["folder"]).removesuffix("/_build")]
    command += ["-W"] * warningiserror + ["--keep-going"] * keep_going
    command += ["-q"] * quiet + ["--all"] * force_all
    return command


def mirror(source: Path, target: Path) -> None:
    """Make ``target`` a copy of ``source``: changed files copied, vanished ones removed.

    A file is changed when its size or modification time differs from its copy's (``copy2``
    gives the copy the source's time, to the nanosecond): a warm build compares the 5,000
    files of the Spanish edition by their metadata instead of reading them all twice (0.9 s
    of the warm rebuild)."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        wanted.add(rel)
        dest = target / rel
        if path.is_dir():
            dest.mkdir(exist_ok=True)
            continue
        here = path.stat()
        try:
            there = dest.stat()
        except FileNotFoundError:
            there = None
        if there is None or (there.st_size, there.st_mtime_ns) != (here.st_size, here.st_mtime_ns):
            shutil.copy2(path, dest)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.relative_to(target) not in wanted:
            path.rmdir() if path.is_dir() else path.unlink()


def _relay(stream, prefix: str, strip: bool) -> None:
    for line in stream:
        if strip:
            line = ANSI.sub("", line)
        sys.stdout.write(prefix + line)
        sys.stdout.flush()


def build_all(langs: list[str], **options) -> int:
    """Build the editions, each in its own process, side by side (two cores, two kernels);
    their output is relayed line by line with the edition's code in front (colour codes
    removed when this output is not a terminal). 0 when every edition built."""
    strip = not sys.stdout.isatty() or "NO_COLOR" in os.environ
    runs = []
    for lang in langs:
        command = build_command(lang, **options)
        if not options.get("quiet"):
            print(f"=== The {lang} edition -> {site_dir(lang).relative_to(ROOT)}: "
                  f"{' '.join(command[1:2] + command[2:3])} ...", flush=True)
        process = subprocess.Popen(command, cwd=ROOT, env=kernel_environment(lang),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, encoding="utf-8", errors="replace")
        relay = threading.Thread(target=_relay, args=(process.stdout, f"[{lang}] ", strip))
        relay.start()
        runs.append((lang, process, relay))
    failed = []
    for lang, process, relay in runs:
        status = process.wait()
        relay.join()
        if status:
            failed.append(lang)
            print(f"error: the {lang} edition did not build (see the [{lang}] lines above)",
                  file=sys.stderr)
        elif "site" in EDITIONS[lang]:
            mirror(html_dir(lang), site_dir(lang))
    if failed:
        return 1
    if not options.get("quiet"):
        print("The book is in _build/html/index.html (en español: _build/html/es/index.html)")
    return 0


def _gettext(outdir: Path) -> Path:
    """Sphinx's gettext builder over the book (notebooks read, not executed), through
    Jupyter Book's command line; returns the folder of ``.pot`` templates."""
    config = write_config(outdir / "_build", {
        "nb_execution_mode": "off", "gettext_compact": False, "gettext_location": False,
        "gettext_uuid": False}, "the gettext templates")
    command = [*jupyter_book(), "build", str(ROOT), "--config", str(config),
               "--path-output", str(outdir), "--builder", "custom",
               "--custom-builder", "gettext", "-qq"]
    # glue references cannot resolve (nothing was executed): hence -qq, and no -W
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit("error: the gettext build failed:\n"
                         + ANSI.sub("", result.stdout[-3000:] + result.stderr[-3000:]))
    return outdir / "_build" / "gettext"


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
        files.write_bytes(po_path, text)
    entries = [m for m in catalogue if m.id]
    return len(entries), sum(1 for m in entries if not m.string)


def extract(langs: list[str], only: list[str] | None = None) -> None:
    """Update the catalogues (``only``: just these pages, e.g. ``chapters/glossary``; others
    are left untouched, so translators working on other pages are not disturbed)."""
    with tempfile.TemporaryDirectory(prefix="ice287g-gettext-") as tmp:
        outdir = _gettext(Path(tmp))
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


#: Where the code's words are (ice287g.i18n.LOCALE_DIR inside the package), and where they come from.
CODE_LOCALE = ROOT / "ice287g" / "locale"
CODE_SOURCES = ("ice287g", "_ext")
#: Functions whose arguments are texts to translate (``pybabel extract -k``): ``tr(text)``,
#: ``label(text)``, ``ptr(context, text)`` (pgettext) and ``ntr(singular, plural, n)``
#: (ngettext; its ``zero=`` text is extracted as a ``tr`` text).
CODE_KEYWORDS = {"tr": (1,), "label": (1,), "ptr": ((1, "c"), 2), "ntr": (1, 2)}


def literal_calls(fileobj, keywords, comment_tags, options):
    """A Babel extraction method: the calls ``tr("...")`` / ``i18n.tr("...")`` whose text
    arguments are literal texts (each argument that is not one is None, and Babel then skips
    the call if its keyword spec needs it). (Babel's own ``python`` method also takes a string
    found anywhere in the first argument, e.g. the key of ``tr(TITLES[row["kind"]])``.)"""
    import ast

    def literal(node):
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else None

    for node in ast.walk(ast.parse(fileobj.read())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in keywords:
            continue
        args = [literal(a) for a in node.args[:2]]
        if name in ("tr", "label"):
            if args[0] is not None:
                yield node.lineno, name, args[0], []
            continue
        if len(args) == 2 and None not in args:
            yield node.lineno, name, args, []
        for keyword in node.keywords if name == "ntr" else []:
            if keyword.arg == "zero" and literal(keyword.value) is not None:
                yield node.lineno, "tr", literal(keyword.value), []


def message_key(message, context: str | None = None) -> str:
    """An extracted message as :func:`ice287g.i18n.catalogue` keys it: the text; a plural
    entry's two English forms (``i18n.plural_key``); in a context, ``i18n.context_key``."""
    from ice287g import i18n

    key = i18n.plural_key(*message) if isinstance(message, tuple) else message
    return i18n.context_key(context, key) if context else key


def code_messages(root: Path = ROOT) -> dict[str, str]:
    """Every literal text the code translates (keyed as :func:`message_key` keys it), with the
    module that writes it first."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, str] = {}
    for folder in CODE_SOURCES:
        for filename, _lineno, message, _comments, context in extract_from_dir(
                root / folder, method_map=[("**.py", literal_calls)], keywords=CODE_KEYWORDS,
                comment_tags=(), strip_comment_tags=True):
            texts = message if isinstance(message, tuple) else (message,)
            if all(isinstance(t, str) and t.strip() for t in texts):
                found.setdefault(message_key(message, context), Path(filename).stem)
    return found


def extract_code(langs: list[str], root: Path = ROOT) -> dict[str, list[str]]:
    """Add every code text no catalogue of ``lang`` has, untranslated, to the catalogue of the
    module that writes it; returns the texts added, by catalogue file."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from ice287g import i18n

    messages = code_messages(root)
    added: dict[str, list[str]] = {}
    for lang in langs:
        folder = root / "ice287g" / "locale" / lang / "LC_MESSAGES"
        catalogues = {}
        for po in sorted(folder.glob("*.po")):
            with po.open("rb") as f:
                catalogues[po] = read_po(f, locale=lang)
        known = {message_key(tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id,
                             m.context)
                 for c in catalogues.values() for m in c if m.id}
        for key, module in messages.items():
            if key in known:
                continue
            context, _, text = key.rpartition(i18n.CONTEXT_SEP)
            msgid = tuple(text.split(i18n.PLURAL_SEP)) if i18n.PLURAL_SEP in text else text
            po = folder / f"{module}.po"
            if po not in catalogues:
                catalogues[po] = Catalog(locale=lang, project="287(g) in Key West", version="1",
                                         fuzzy=False)
            catalogues[po].add(msgid, ("", "") if isinstance(msgid, tuple) else "",
                               context=context or None)
            added.setdefault(str(po.relative_to(root)), []).append(
                msgid[0] if isinstance(msgid, tuple) else text)
        for po, catalogue in catalogues.items():
            if str(po.relative_to(root)) not in added:
                continue
            buffer = io.BytesIO()
            write_po(buffer, catalogue, width=0, no_location=True, omit_header=False)
            files.write_bytes(po, buffer.getvalue())
    return added


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
    e = sub.add_parser("extract", help="update locales/<lang>/LC_MESSAGES/*.po (prose) and "
                       "ice287g/locale/<lang>/LC_MESSAGES/*.po (the code's words)")
    # English is the source language: it has no catalogue to update.
    e.add_argument("langs", nargs="*", default=[lang for lang in EDITIONS if lang != "en"])
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
    if not args.only:
        for po, texts in extract_code(args.langs).items():
            print(f"{po}: {len(texts)} new untranslated: " + "; ".join(map(repr, texts[:5]))
                  + (" ..." if len(texts) > 5 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
