"""Publishing and reuse: licences, CITATION.cff, the GitHub Pages workflow, the downloads page."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import yaml
from bs4 import BeautifulSoup

from conftest import REPO

CFF_SCHEMA = REPO / "tests" / "schemas" / "citation-cff-1.2.0.schema.json"
CFF_SCHEMA_SHA256 = "0b8d22140da702d766df318dcff3a91af2f39521298dcf36d76315fd99cc169b"
DATA_FOLDERS = ("data/processed", "data/reviewed", "data/curated")


def config() -> dict:
    return yaml.safe_load((REPO / "_config.yml").read_text())


# --- licences -----------------------------------------------------------------------------

def test_code_is_mit_licensed():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # an SPDX expression (setuptools >= 77)
    assert "LICENSE" in project["license-files"]


def test_content_licence_is_cc_by_4():
    text = (REPO / "LICENSE-content.md").read_text()
    assert "CC BY 4.0" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text


# --- CITATION.cff -------------------------------------------------------------------------

def load_cff() -> dict:
    # CFF is YAML 1.2; keep scalars as strings so dates and versions are checked as written.
    return yaml.load((REPO / "CITATION.cff").read_text(), Loader=yaml.BaseLoader)


def cff_validator() -> jsonschema.Draft7Validator:
    raw = CFF_SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == CFF_SCHEMA_SHA256, "the vendored CFF schema changed"
    schema = json.loads(raw)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_citation_cff_is_valid_cff_1_2_0():
    cff = load_cff()
    errors = sorted(cff_validator().iter_errors(cff), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_cff_validator_rejects_a_broken_citation():
    cff = load_cff()
    del cff["authors"]
    cff["cff-version"] = "9.9"
    messages = [e.message for e in cff_validator().iter_errors(cff)]
    assert any("authors" in m for m in messages)
    assert any("9.9" in m for m in messages)


def test_citation_agrees_with_the_book():
    cff = load_cff()
    cfg = config()
    assert cff["title"] == cfg["title"]
    assert cff["repository-code"] == cfg["repository"]["url"]
    assert cff["version"] == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}


# --- GitHub Pages workflow ------------------------------------------------------------------

def test_pages_workflow_tests_builds_and_deploys_on_push_to_main():
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text())
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    triggers = wf.get("on", wf.get(True))
    assert triggers["push"]["branches"] == ["main"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}  # the deploy job only
    steps = build["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    runtime = (REPO / "runtime.txt").read_text().strip().removeprefix("python-")
    assert str(setup["with"]["python-version"]) == runtime
    runs = " ".join(s.get("run", "") for s in steps)
    assert "scripts/build-book.sh" in runs and (REPO / "scripts" / "build-book.sh").is_file()
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    # Steps run in order: the upload comes after the build.
    assert uses.index(upload["uses"]) > next(i for i, s in enumerate(steps) if "build-book.sh" in s.get("run", ""))
    assert deploy["needs"] == "build"
    # The tests run first: the build (hence the deploy) needs the job that runs them all.
    test = wf["jobs"][build["needs"]]
    test_runs = [s.get("run", "") for s in test["steps"]]
    assert any(r.strip() == "bash scripts/run-tests.sh" for r in test_runs), test_runs
    assert (REPO / "scripts" / "run-tests.sh").is_file()
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in test["steps"])
    test_setup = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(test_setup["with"]["python-version"]) == runtime
    assert deploy["environment"]["name"] == "github-pages"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    for job in wf["jobs"].values():
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"a step needs exactly one of uses/run: {step}"


# --- downloads page ----------------------------------------------------------------------------

def data_files() -> list[Path]:
    return sorted(
        p for folder in DATA_FOLDERS for p in (REPO / folder).iterdir()
        if p.is_file() and not p.name.startswith(".")
    )


def test_downloads_page_links_every_data_file_and_the_links_resolve(built_book):
    page = built_book / "chapters" / "downloads.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    # File name -> contents of every linked copy (both data folders have a datapackage.json).
    linked: dict[str, list[bytes]] = {}
    for a in soup.select("article a[href]"):
        href = a["href"]
        if urlsplit(href).scheme:
            continue
        target = (page.parent / unquote(urlsplit(href).path)).resolve()
        if "_downloads" in target.parts or target.suffix in (".csv", ".json"):
            assert target.is_file(), f"downloads.html links {href}, which is not in the build"
            linked.setdefault(target.name, []).append(target.read_bytes())
    files = data_files()
    assert any(p.suffix == ".csv" for p in files)
    for path in files:
        assert path.name in linked, f"downloads.html does not link {path.relative_to(REPO)}"
        assert path.read_bytes() in linked[path.name], (
            f"no downloadable copy of {path.relative_to(REPO)} matches the repository's file"
        )
