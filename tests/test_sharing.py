"""Every page can be shared (issue 21): a description and Open Graph tags in the page's own
language, a preview picture that exists (the page's lead chart when it has one), and a tab
title that names the book once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import REPO, edition_pages

PAGES = edition_pages()


def soup(path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def meta(doc, attr: str, name: str) -> str:
    tag = doc.find("meta", attrs={attr: name})
    return (tag.get("content") or "").strip() if tag else ""


def site_url() -> str:
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    owner, name = urlsplit(cfg["repository"]["url"]).path.strip("/").split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def words(text: str) -> str:
    return " ".join(text.replace("\u2026", " ").split())


@pytest.mark.parametrize("page_path", PAGES)
def test_page_has_a_description_and_open_graph_tags(built_book, page_path):
    doc = soup(built_book / page_path)
    description = meta(doc, "name", "description")
    assert description, f"{page_path} has no <meta name=description>"
    for prop in ("og:title", "og:description", "og:image", "og:url", "og:type", "og:locale"):
        assert meta(doc, "property", prop), f"{page_path} has no {prop}"
    assert meta(doc, "property", "og:description") == description
    lang = "es" if page_path.startswith("es/") else "en"
    assert meta(doc, "property", "og:locale") == {"en": "en_US", "es": "es_US"}[lang]
    # The picture and the address are absolute URLs of the published book that exist here.
    base = site_url()
    for prop in ("og:image", "og:url"):
        url = meta(doc, "property", prop)
        assert url.startswith(base), f"{page_path}: {prop} {url} is not under {base}"
    image = meta(doc, "property", "og:image")[len(base):]
    assert (built_book / image).is_file(), f"{page_path}: og:image {image} is not in the build"
    url = meta(doc, "property", "og:url")[len(base):] or "index.html"
    assert url in (page_path, page_path.removesuffix("index.html")), (page_path, url)


@pytest.mark.parametrize("page_path", [p for p in PAGES if not p.endswith("search.html")])
def test_description_is_the_pages_own_prose(built_book, page_path):
    doc = soup(built_book / page_path)
    description = words(meta(doc, "name", "description"))
    assert len(description) >= 40, f"{page_path}: description {description!r}"
    # Compared as letters and digits only (the page's inline markup spaces its words out).
    article = re.sub(r"\W+", "", doc.find("article").get_text(" "))
    start = re.sub(r"\W+", "", description)[:60]
    assert start in article, f"{page_path}: the description is not the page's own text: {description!r}"


@pytest.mark.parametrize("page_path", [p for p in PAGES if not p.startswith("es/")
                                       and not p.endswith("search.html")])
def test_spanish_page_describes_itself_in_spanish(built_book, page_path):
    en = meta(soup(built_book / page_path), "name", "description")
    es = meta(soup(built_book / f"es/{page_path}"), "name", "description")
    assert es and es != en, f"es/{page_path} repeats the English description: {es!r}"


def test_a_page_with_a_chart_previews_its_lead_chart(built_book):
    checked = 0
    for page_path in PAGES:
        doc = soup(built_book / page_path)
        article = doc.find("article")
        if article is None:  # the search page
            continue
        first = next((img for img in article.find_all("img")
                      if img.get("src", "").endswith(".png")), None)
        if first is None:
            continue
        image = meta(doc, "property", "og:image")
        assert image.endswith("/" + first["src"].split("/")[-1]), (
            f"{page_path}: og:image {image} is not its lead chart {first['src']}")
        checked += 1
    assert checked >= 4, f"only {checked} pages have a chart"


@pytest.mark.parametrize("page_path", PAGES)
def test_tab_title_names_the_book_once(built_book, page_path):
    doc = soup(built_book / page_path)
    title = doc.title.get_text()
    book = meta(doc, "property", "og:site_name")
    assert book and title.count(book) == 1, f"{page_path}: <title>{title}</title>"
