"""tools/editions.py's mirror: the Spanish edition's HTML copied into _build/html/es after its
build, new and changed files copied, vanished ones removed, unchanged ones left as they are."""

from __future__ import annotations

import os
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import editions  # noqa: E402


def test_mirror_copies_what_changed_and_removes_what_vanished(tmp_path):
    source, target = tmp_path / "es-build", tmp_path / "html" / "es"
    (source / "chapters").mkdir(parents=True)
    (source / "index.html").write_text("<p>hola</p>", encoding="utf-8")
    (source / "chapters" / "votes.html").write_text("<p>votos</p>", encoding="utf-8")
    (source / "old.html").write_text("<p>viejo</p>", encoding="utf-8")
    editions.mirror(source, target)
    assert (target / "chapters" / "votes.html").read_text(encoding="utf-8") == "<p>votos</p>"

    # Mark the copy of the unchanged page (same size and time as its source): a mirror that
    # copied it again would put the source's bytes back.
    copy, original = target / "index.html", (source / "index.html").stat()
    copy.write_text("<p>HOLA</p>", encoding="utf-8")
    os.utime(copy, ns=(original.st_atime_ns, original.st_mtime_ns))
    # Same size, other bytes, a later time (as a rebuild writes a page): copied.
    votes = source / "chapters" / "votes.html"
    votes.write_text("<p>VOTOS</p>", encoding="utf-8")
    later = votes.stat().st_mtime_ns + 1_000_000_000
    os.utime(votes, ns=(later, later))
    (source / "old.html").unlink()
    (source / "new.html").write_text("<p>nuevo</p>", encoding="utf-8")
    editions.mirror(source, target)

    assert (target / "chapters" / "votes.html").read_text(encoding="utf-8") == "<p>VOTOS</p>"
    assert (target / "new.html").read_text(encoding="utf-8") == "<p>nuevo</p>"
    assert not (target / "old.html").exists()
    assert copy.read_text(encoding="utf-8") == "<p>HOLA</p>", "an unchanged page was copied again"
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "chapters", "chapters/votes.html", "index.html", "new.html"]
