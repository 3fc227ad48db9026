"""Find an agency's guard over Sphinx's search (assets/lookup/lookup.js, ``quietSphinxSearch``).

Sphinx's searchtools.js runs a search for any ``?q=`` once a page is ready and throws on a page
without ``#search-results``; Find an agency's own ``?q=`` would trip it, so lookup.js replaces
``Search.performSearch`` with a no-op there. That relies on searchtools' internals, so the
script checks their shape first and leaves a searchtools that changed alone. These tests hold
the script's checks against the installed Sphinx's searchtools.js (they fail when an upgrade
changes what the override relies on), and run the guard with that searchtools.js in Node.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LOOKUP_JS = REPO / "assets" / "lookup" / "lookup.js"


def searchtools() -> str:
    import sphinx

    return (Path(sphinx.__file__).parent / "themes" / "basic" / "static" /
            "searchtools.js").read_text(encoding="utf-8")


def guard() -> str:
    """The guard's source, as lookup.js holds it."""
    m = re.search(r"^  function quietSphinxSearch\(\) \{\n.*?^  \}\n",
                  LOOKUP_JS.read_text(encoding="utf-8"), re.M | re.S)
    assert m, "lookup.js no longer has its function quietSphinxSearch"
    return m.group(0)


def member(source: str, name: str) -> str:
    """The source of one member of searchtools' ``const Search = {...}`` (up to the next)."""
    body = source[source.index("\nconst Search = {"):]
    m = re.search(rf"^  {re.escape(name)}: .*?(?=^  [A-Za-z_]\w*: |^}};)", body, re.M | re.S)
    assert m, f"searchtools.js: Search has no member {name}"
    return m.group(0)


def test_searchtools_still_has_what_the_guard_checks():
    import sphinx

    source, code = searchtools(), guard()
    expects = re.findall(r'String\(Search\.(\w+)\)\.indexOf\("([^"]+)"\)', code)
    assert {name for name, _ in expects} == {"init", "performSearch"}, expects
    assert "\nconst Search = {" in source, f"Sphinx {sphinx.__version__}: no global Search"
    for name, text in expects:
        assert text in member(source, name), (
            f"Sphinx {sphinx.__version__}'s searchtools.js: Search.{name} no longer has "
            f"{text!r}; lookup.js leaves its search alone now, check Find an agency's ?q=")
    # init runs when the page is ready, after the deferred lookup.js has made its override
    assert re.search(r"^_ready\(Search\.init\);", source, re.M), \
        f"Sphinx {sphinx.__version__}: searchtools no longer runs Search.init when the page is ready"


NODE_RUN = r"""
const vm = require("vm");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const el = () => ({classList: {add() {}}, appendChild(x) { return x; }, innerText: "",
                   textContent: ""});
const out = {};
for (const c of input.cases) {
  const ready = [];
  const ctx = {
    window: {location: {search: "?q=monroe"}, setTimeout() {}},
    document: {getElementById: (id) => (c.results && id === "search-results") ? el() : null,
               querySelectorAll: () => [], createElement: el, body: el()},
    URLSearchParams, console, _ready: (cb) => ready.push(cb), _: (s) => s,
  };
  vm.createContext(ctx);
  vm.runInContext(c.searchtools, ctx);
  const before = vm.runInContext("Search.performSearch", ctx);
  if (c.guard) vm.runInContext(c.guard + "\nquietSphinxSearch();", ctx);
  const result = {replaced: vm.runInContext("Search.performSearch", ctx) !== before, error: null};
  if (!c.results) {
    try { ready.forEach((cb) => cb()); } catch (e) { result.error = String(e); }
  }
  out[c.name] = result;
}
process.stdout.write(JSON.stringify(out));
"""


def test_the_guard_overrides_only_the_searchtools_it_was_written_for():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/setup.sh --dev installs npm, and with it node)")
    source, code = searchtools(), guard()
    init_call = "if (query) Search.performSearch(query);"
    results = 'document.getElementById("search-results")'
    assert init_call in source and results in source
    cases = [
        {"name": "lookup page", "searchtools": source, "guard": code, "results": False},
        {"name": "no guard", "searchtools": source, "guard": "", "results": False},
        {"name": "search page", "searchtools": source, "guard": code, "results": True},
        {"name": "init changed", "guard": code, "results": False,
         "searchtools": source.replace(init_call, "if (query) Search.query(query);")},
        {"name": "performSearch changed", "guard": code, "results": False,
         "searchtools": source.replace(results, 'document.getElementById("search-output")')},
    ]
    r = subprocess.run([node, "-e", NODE_RUN], input=json.dumps({"cases": cases}),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    # Find an agency with ?q=: the override is made, and Sphinx's init no longer throws.
    assert got["lookup page"] == {"replaced": True, "error": None}
    # Without it, Sphinx's search throws on this page (what the override is for).
    assert not got["no guard"]["replaced"] and "TypeError" in got["no guard"]["error"]
    # Sphinx's own search page keeps its search.
    assert not got["search page"]["replaced"]
    # A searchtools of another shape is left alone.
    assert not got["init changed"]["replaced"]
    assert not got["performSearch changed"]["replaced"]
