"""_ext/patches.py: the one module that relies on dependencies' internals, and fails loudly
when the upstream code it relies on changes."""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "_ext"))

import patches  # noqa: E402

#: The book's own top-level modules and packages (assigning their attributes is not patching).
OWN = {"ice287g", "book_ext", "bib_style", "book_css", "nb_inputs", "feeds", "inline_css",
       "patches", "editions", "reader_mode"}


def test_every_patch_still_fits_the_installed_code():
    assert patches.problems() == []
    for patch in patches.PATCHES:
        assert patch.upstream.startswith("https://github.com/"), patch


def test_a_changed_upstream_is_reported_naming_the_patch(monkeypatch):
    first = patches.PATCHES[0]
    changed = (dataclasses.replace(first, source_sha256="0" * 16),
               dataclasses.replace(patches.PATCHES[1], version="0.0.1"),
               patches.PATCHES[2])
    monkeypatch.setattr(patches, "PATCHES", changed)
    found = patches.problems()
    assert len(found) == 2
    assert found[0].startswith(f"patch {first.name}: the source of {first.target} changed")
    assert "sphinx-external-toc is" in found[1] and "written for 0.0.1" in found[1]


def test_the_image_alt_patch_wraps_once_and_keeps_the_original():
    from myst_nb.core.render import NbElementRenderer

    patches._image_alt_from_output_metadata()
    patched = NbElementRenderer.render_image
    patches._image_alt_from_output_metadata()  # a second build in the same process
    assert NbElementRenderer.render_image is patched
    assert patches.fingerprint(patched._book_original) == patches.PATCHES[0].source_sha256


def _imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> top-level module, for every import of the file (any scope)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module.split(".")[0]
    return names


def test_no_assignment_to_another_packages_attributes_outside_the_patches_module():
    """`something.attr = ...` where `something` was imported from another package (a module,
    a class) is a patch of its internals: only _ext/patches.py may do that."""
    found = []
    files = [*REPO.glob("ice287g/**/*.py"), *REPO.glob("_ext/*.py"), *REPO.glob("tools/*.py")]
    for path in files:
        if path.name == "patches.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _imported_modules(tree)
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                base = target
                while isinstance(base, ast.Attribute):
                    base = base.value
                if target is not base and isinstance(base, ast.Name) \
                        and imported.get(base.id, "ice287g") not in OWN:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(target)}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setattr" \
                    and node.args and isinstance(node.args[0], ast.Name) \
                    and imported.get(node.args[0].id, "ice287g") not in OWN:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: setattr({node.args[0].id}, ...)")
    assert not found, "patches outside _ext/patches.py:\n" + "\n".join(found)
