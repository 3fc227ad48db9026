"""`python -m ice287g get-archives`: the raw archives from the release assets (issue 25),
against a server on 127.0.0.1 that serves what a release would, and what it should not."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from conftest import REPO

from ice287g import archives


def tar_gz(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return buf.getvalue()


def sums(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items()).encode()


@pytest.fixture
def release():
    """A server on 127.0.0.1 serving ``files`` (a dict the test fills) at /rel/."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            name = self.path.removeprefix("/rel/")
            if name in files:
                self.send_response(200)
                self.send_header("Content-Length", str(len(files[name])))
                self.end_headers()
                self.wfile.write(files[name])
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield files, f"http://127.0.0.1:{server.server_address[1]}/rel/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_downloads_checks_and_unpacks_every_listed_archive(release, tmp_path):
    files, url = release
    a = tar_gz({"ice-287g-sheets/SOURCE.md": b"a", "ice-287g-sheets/x/s.xlsx": b"zip"})
    b = tar_gz({"ice-287g-history/SOURCE.md": b"b"})
    files.update({"ice-287g-sheets.tar.gz": a, "ice-287g-history.tar.gz": b})
    files["SHA256SUMS"] = sums({"ice-287g-sheets.tar.gz": a, "ice-287g-history.tar.gz": b})
    got = archives.download(tmp_path / "data", url, retries=1, log=lambda m: None)
    assert sorted(p.name for p in got) == ["ice-287g-history", "ice-287g-sheets"]
    assert (tmp_path / "data" / "ice-287g-sheets" / "x" / "s.xlsx").read_bytes() == b"zip"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["ice-287g-history",
                                                                      "ice-287g-sheets"]
    # each archive folder appears whole, readable as any folder (not a temporary one's 0o700)
    assert {oct(p.stat().st_mode & 0o777) for p in got} == {oct(0o755)}
    # Run again: present folders are left alone, nothing downloaded twice.
    (tmp_path / "data" / "ice-287g-history" / "SOURCE.md").write_bytes(b"kept")
    archives.download(tmp_path / "data", url, retries=1, log=lambda m: None)
    assert (tmp_path / "data" / "ice-287g-history" / "SOURCE.md").read_bytes() == b"kept"


@pytest.mark.parametrize("case", ["checksum", "traversal", "absolute", "symlink", "two-folders",
                                  "a-file", "not-a-tar", "bad-sums", "missing"])
def test_a_bad_release_is_one_line_and_keeps_nothing(release, tmp_path, case):
    files, url = release
    good = {"ice-287g-sheets/SOURCE.md": b"a"}
    data = {
        "checksum": tar_gz(good),
        "traversal": tar_gz({"ice-287g-sheets/../../evil": b"x"}),
        "absolute": tar_gz({"/tmp/evil": b"x"}),
        "symlink": tar_gz(good, symlink="ice-287g-sheets/passwd"),
        "two-folders": tar_gz({**good, "other/x": b"y"}),
        "a-file": tar_gz({"ice-287g-sheets": b"not a folder"}),
        "not-a-tar": b"this is not gzip",
        "bad-sums": tar_gz(good),
        "missing": None,
    }[case]
    if data is not None:
        files["ice-287g-sheets.tar.gz"] = data
    listed = sums({"ice-287g-sheets.tar.gz": data or b""})
    if case == "checksum":
        listed = sums({"ice-287g-sheets.tar.gz": b"other bytes"})
    if case == "bad-sums":
        listed = b"; rm -rf /  ../../etc/passwd\n"
    files["SHA256SUMS"] = listed
    dest = tmp_path / "data"
    with pytest.raises(archives.ArchiveError) as err:
        archives.download(dest, url, retries=1, log=lambda m: None)
    message = str(err.value)
    assert "\n" not in message
    assert url in message or "ice-287g-sheets" in message or "SHA256SUMS" in message
    assert not (dest / "ice-287g-sheets").exists()
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()
    assert not dest.exists() or not any(dest.iterdir()), list(dest.iterdir())


def test_the_command_line_and_the_missing_archive_error_name_the_command(release, tmp_path):
    files, url = release
    a = tar_gz({"ice-287g-sheets/SOURCE.md": b"a"})
    files.update({"ice-287g-sheets.tar.gz": a, "SHA256SUMS": sums({"ice-287g-sheets.tar.gz": a})})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, "-m", "ice287g", "get-archives", "--dest",
                         str(tmp_path / "d"), "--url", url], capture_output=True, text=True,
                        env=env, cwd=tmp_path, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "d" / "ice-287g-sheets" / "SOURCE.md").is_file()
    files["SHA256SUMS"] = b"0" * 64 + b"  ice-287g-sheets.tar.gz\n"
    bad = subprocess.run([sys.executable, "-m", "ice287g", "get-archives", "--dest",
                          str(tmp_path / "e"), "--url", url], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "SHA-256" in bad.stderr
    # A clone without ../shared: the build's error says how to get the archives.
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "_config.yml").write_text((REPO / "_config.yml").read_text())
    (clone / "data").mkdir()
    missing = subprocess.run([sys.executable, "-m", "ice287g", "build", "--out",
                              str(tmp_path / "out")], capture_output=True, text=True,
                             env={**env, "ICE287G_ROOT": str(clone)}, cwd=clone, timeout=120)
    assert missing.returncode != 0
    assert "python -m ice287g get-archives" in missing.stderr, missing.stderr
    assert not (tmp_path / "out").exists()


def test_the_release_address_comes_from_the_one_repository_setting():
    url = archives.release_url()
    assert url.endswith("/releases/download/archive-base/")
    assert url.startswith(str(__import__("yaml").safe_load(
        (REPO / "_config.yml").read_text())["repository"]["url"]))
