"""Writing the outputs (ice287g/pipeline/s8_write.py): one switch, a lock, no leftovers, clear errors."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO
from sheetfactory import snapshot_dir

from ice287g.pipeline import s8_write
from ice287g.pipeline.s8_write import WriteError, write_outputs

OLD = {"snapshots.csv": "build,1\nold,1\n", "qa.csv": "name\nold\n", "files.csv": "old\n"}
NEW = {"snapshots.csv": "build,2\nnew,2\n", "qa.csv": "name\nnew\n", "agreements.csv": "new\n"}


@pytest.fixture()
def out(tmp_path):
    folder = tmp_path / "parent" / "processed"
    folder.mkdir(parents=True)
    for name, text in OLD.items():
        (folder / name).write_text(text)
    return folder


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def assert_untouched(out: Path, before: dict):
    assert snapshot_dir(out) == before, "the output folder changed"
    assert siblings(out) == [out.name], f"left beside the output: {siblings(out)}"


# ----------------------------------------------------------------------------- the switch


def test_the_new_output_replaces_the_old_as_a_whole(out):
    (out / "README.md").write_text("kept: not an output\n")
    assert write_outputs(NEW, out, managed=["files.csv"]) is True
    assert snapshot_dir(out) == {**{k: v.encode() for k, v in NEW.items()}, "README.md": b"kept: not an output\n"}
    assert siblings(out) == ["processed"]


def test_outputs_stay_plain_files_in_a_plain_folder(out):
    """git tracks data/processed/ as plain files: no symlink, no versioned folder."""
    write_outputs(NEW, out)
    assert out.is_dir() and not out.is_symlink()
    assert all(p.is_file() and not p.is_symlink() for p in out.iterdir())


def test_an_unchanged_output_is_not_touched(out):
    write_outputs(NEW, out)
    inode = {p.name: p.stat().st_ino for p in out.iterdir()}
    mtime = out.stat().st_mtime_ns
    assert write_outputs(NEW, out) is False
    assert {p.name: p.stat().st_ino for p in out.iterdir()} == inode and out.stat().st_mtime_ns == mtime


def test_a_new_output_folder_and_missing_parents_are_created(tmp_path):
    target = tmp_path / "a" / "b" / "out"
    write_outputs(NEW, target)
    assert snapshot_dir(target) == {k: v.encode() for k, v in NEW.items()}


def test_folder_permissions_are_kept(out):
    out.chmod(0o750)
    write_outputs(NEW, out)
    assert out.stat().st_mode & 0o777 == 0o750


def test_a_symlinked_out_switches_the_folder_it_points_to(out, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(out)
    write_outputs(NEW, link)
    assert link.is_symlink() and (link / "agreements.csv").read_text() == "new\n"


def test_a_reader_never_sees_files_of_two_builds(tmp_path):
    """An observer that opens the folder and reads every file through that handle always sees
    one whole build: the switch is one rename, not a file-by-file replacement."""
    out = tmp_path / "out"
    a = {f"t{i}.csv": f"A{i}\n" * 50 for i in range(8)}
    b = {f"t{i}.csv": f"B{i}\n" * 50 for i in range(8)}
    write_outputs(a, out)
    stop = threading.Event()
    seen, mixed = set(), []

    def observe():
        while not stop.is_set():
            try:
                fd = os.open(out, os.O_RDONLY)
            except FileNotFoundError:
                mixed.append("out missing")
                continue
            try:
                heads = set()
                for i in range(8):
                    f = os.open(f"t{i}.csv", os.O_RDONLY, dir_fd=fd)
                    heads.add(os.read(f, 1))
                    os.close(f)
                    time.sleep(0.0005)
            except FileNotFoundError:  # the folder it opened was the previous build, deleted
                continue
            finally:
                os.close(fd)
            seen.update(heads)
            if len(heads) != 1:
                mixed.append(heads)

    t = threading.Thread(target=observe)
    t.start()
    try:
        k, deadline = 0, time.monotonic() + 20
        while k < 40 or (seen != {b"A", b"B"} and time.monotonic() < deadline):
            write_outputs(b if k % 2 == 0 else a, out)
            k += 1
            time.sleep(0.002)
    finally:
        stop.set()
        t.join()
    assert not mixed, mixed[:3]
    assert seen == {b"A", b"B"}, "the observer did not see both builds (test too short)"


def test_the_fallback_switch_without_rename_exchange(out, monkeypatch):
    def unsupported(a, b):
        raise OSError(errno.EINVAL, "Invalid argument", str(a))

    monkeypatch.setattr(s8_write, "_exchange", unsupported)
    write_outputs(NEW, out, managed=["files.csv"])
    assert snapshot_dir(out) == {k: v.encode() for k, v in NEW.items()}
    assert siblings(out) == ["processed"]


def test_a_build_killed_between_the_fallback_renames_is_recovered(out, monkeypatch):
    """Fallback: out -> .old, then staged -> out. Dying between them leaves out missing; the
    next write restores the previous output first."""
    monkeypatch.setattr(s8_write, "_exchange", lambda a, b: (_ for _ in ()).throw(OSError(errno.ENOSYS, "no")))
    real_rename = os.rename
    calls = []

    def die_on_second(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise SystemExit("killed")  # stands in for kill -9 between the renames
        return real_rename(src, dst)

    monkeypatch.setattr(s8_write.os, "rename", die_on_second)
    with pytest.raises(SystemExit):
        write_outputs(NEW, out)
    monkeypatch.setattr(s8_write.os, "rename", real_rename)
    assert not out.exists() and any(".processed.old-" in n for n in siblings(out))
    before = {k: v.encode() for k, v in OLD.items()}
    calls.clear()
    write_outputs(OLD, out)  # the previous output is restored, then (unchanged) kept
    assert snapshot_dir(out) == before and siblings(out) == ["processed"]


# ----------------------------------------------------------------------------- the lock


def test_a_second_build_waits_for_the_lock(out):
    lock = s8_write._Lock(out.parent / ".processed.lock", 1, print)
    notices = []
    threading.Timer(0.5, lock.release).start()
    start = time.monotonic()
    write_outputs(NEW, out, lock_timeout=20, notice=notices.append)
    assert time.monotonic() - start >= 0.45
    assert len(notices) == 1 and "waiting for another build" in notices[0] and str(os.getpid()) in notices[0]
    assert (out / "agreements.csv").read_text() == "new\n" and siblings(out) == ["processed"]


def test_a_lock_held_too_long_is_a_clear_error(out):
    before = snapshot_dir(out)
    lock = s8_write._Lock(out.parent / ".processed.lock", 1, print)
    try:
        with pytest.raises(WriteError) as e:
            write_outputs(NEW, out, lock_timeout=0.3, notice=lambda m: None)
    finally:
        lock.release()
    assert f"pid {os.getpid()}" in str(e.value) and ".processed.lock" in str(e.value)
    assert_untouched(out, before)


def test_concurrent_builds_do_not_interleave(tmp_path):
    """Two processes writing different builds 15 times each: every file of the result comes
    from the same build, and nothing is left beside it."""
    out = tmp_path / "out"
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from ice287g.pipeline.s8_write import write_outputs
        tag, out = sys.argv[1], Path(sys.argv[2])
        for k in range(15):
            write_outputs({f"t{i}.csv": f"{tag}{k}\\n" for i in range(6)}, out, notice=lambda m: None)
    """)
    env = {**os.environ, "ICE287G_ROOT": str(REPO), "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", script, tag, str(out)], env=env, cwd=REPO,
                              stderr=subprocess.PIPE, text=True) for tag in "XY"]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    contents = {p.read_text() for p in out.iterdir()}
    assert len(contents) == 1 and contents.pop() in ("X14\n", "Y14\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ----------------------------------------------------------------------------- kills and signals

KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ice287g.pipeline import s8_write
    out, marker = Path(sys.argv[1]), Path(sys.argv[2])
    real = s8_write._write_file
    written = []
    def slow(path, text):
        real(path, text)
        written.append(path)
        if len(written) == 2:
            marker.write_text("mid-write")
            time.sleep(60)
    s8_write._write_file = slow
    try:
        s8_write.write_outputs({f"t{i}.csv": "new\\n" for i in range(5)}, out)
    except s8_write.WriteError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        sys.exit(128 + exc.signum if exc.signum else 1)
""")


def _start_and_wait(out: Path, tmp_path: Path) -> subprocess.Popen:
    marker = tmp_path / "marker"
    env = {**os.environ, "ICE287G_ROOT": str(REPO), "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(out), str(marker)], env=env,
                         cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline, "the writer never reached the middle of its write"
        time.sleep(0.02)
    return p


def test_a_killed_build_leaves_the_previous_output_intact(out, tmp_path):
    before = snapshot_dir(out)
    p = _start_and_wait(out, tmp_path)
    p.kill()  # SIGKILL: no clean-up code runs
    p.wait()
    assert snapshot_dir(out) == before
    left = [n for n in siblings(out) if n != "processed"]
    assert left and all(n.startswith(".processed.") for n in left)  # staging, lock file
    # The next build removes what the killed one left, then writes.
    write_outputs(NEW, out)
    assert siblings(out) == ["processed"] and (out / "agreements.csv").read_text() == "new\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_terminated_build_cleans_up_and_says_so(out, tmp_path, sig):
    before = snapshot_dir(out)
    p = _start_and_wait(out, tmp_path)
    p.send_signal(sig)
    p.wait(timeout=30)
    err = p.stderr.read()
    assert p.returncode == 128 + sig, err
    assert f"interrupted by {signal.Signals(sig).name}" in err and "nothing was written" in err
    assert_untouched(out, before)


# ----------------------------------------------------------------------------- OS errors


def test_out_is_a_file(tmp_path):
    f = tmp_path / "out"
    f.write_text("a file")
    with pytest.raises(WriteError, match="is a file, not a folder") as e:
        write_outputs(NEW, f)
    assert e.value.path == f and f.read_text() == "a file"


def test_permission_denied(out, monkeypatch):
    before = snapshot_dir(out)
    real = Path.mkdir

    def denied(self, *a, **k):
        if self.name.startswith(".processed.new-"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(WriteError) as e:
        write_outputs(NEW, out)
    assert str(e.value) == f"cannot create a folder beside the output: Permission denied ({out.parent})"
    assert_untouched(out, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions (the monkeypatched test covers it)")
def test_permission_denied_on_disk(out):
    before = snapshot_dir(out)
    out.parent.chmod(0o555)
    try:
        with pytest.raises(WriteError, match="Permission denied"):
            write_outputs(NEW, out)
    finally:
        out.parent.chmod(0o755)
    assert_untouched(out, before)


@pytest.mark.parametrize("after", [0, 1, 2])
def test_disk_full_mid_write(out, monkeypatch, after):
    before = snapshot_dir(out)
    real = os.write
    calls = []

    def full(fd, data):
        calls.append(fd)
        if len(calls) > after:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(s8_write.os, "write", full)
    with pytest.raises(WriteError) as e:
        write_outputs(NEW, out, notice=lambda m: None)
    monkeypatch.setattr(s8_write.os, "write", real)
    assert "No space left on device" in str(e.value) and str(out.parent) in str(e.value)
    assert_untouched(out, before)


def test_read_only_file_system(out, monkeypatch):
    before = snapshot_dir(out)

    def ro(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(a[0]))

    monkeypatch.setattr(s8_write.os, "open", ro)
    with pytest.raises(WriteError, match="Read-only file system"):
        write_outputs(NEW, out)
    monkeypatch.undo()
    assert_untouched(out, before)


def test_parents_created_for_a_failed_write_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(s8_write, "_write_file",
                        lambda p, t: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(WriteError):
        write_outputs(NEW, tmp_path / "a" / "b" / "out")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- out on its own volume


def test_mount_point_out_uses_the_journaled_switch(out, monkeypatch):
    monkeypatch.setattr(s8_write, "_is_mount", lambda p: Path(p) == out)
    (out / "README.md").write_text("kept\n")
    write_outputs(NEW, out, managed=["files.csv"])
    assert snapshot_dir(out) == {**{k: v.encode() for k, v in NEW.items()}, "README.md": b"kept\n"}
    assert siblings(out) == ["processed"]  # nothing beside it: everything happened inside


def test_exchange_across_devices_falls_back_to_the_journaled_switch(out, monkeypatch):
    def xdev(a, b):
        raise OSError(errno.EXDEV, "Invalid cross-device link", str(a))

    monkeypatch.setattr(s8_write, "_exchange", xdev)
    write_outputs(NEW, out)
    assert (out / "agreements.csv").read_text() == "new\n" and siblings(out) == ["processed"]
    assert sorted(p.name for p in out.iterdir()) == sorted(set(OLD) | set(NEW))


def test_a_journaled_switch_killed_midway_is_completed_by_the_next_write(out, monkeypatch):
    monkeypatch.setattr(s8_write, "_is_mount", lambda p: Path(p) == out)
    real = os.replace
    n = []

    def die(src, dst):
        n.append(dst)
        if len(n) == 3:  # the journal, then one file: die before the second
            raise SystemExit("killed")
        return real(src, dst)

    monkeypatch.setattr(s8_write.os, "replace", die)
    with pytest.raises(SystemExit):
        write_outputs(NEW, out, managed=["files.csv"])
    monkeypatch.setattr(s8_write.os, "replace", real)
    assert (out / s8_write.JOURNAL).exists()
    write_outputs({"other.csv": "x\n"}, out)  # rolls the interrupted switch forward first
    assert not (out / s8_write.JOURNAL).exists()
    assert snapshot_dir(out) == {**{k: v.encode() for k, v in NEW.items()}, "other.csv": b"x\n"}


def _can_unshare_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt && umount /mnt"],
                       capture_output=True)
    return r.returncode == 0


MOUNTS = pytest.mark.skipif(not _can_unshare_mount(),
                            reason="needs unshare -m and mount (root in a private mount namespace)")


def _in_namespace(tmp_path, mount_opts: str, python: str, prep: str = "") -> subprocess.CompletedProcess:
    """Run ``python`` with a fresh tmpfs mounted on tmp_path/vol (private mount namespace:
    the mount disappears with the process)."""
    vol = tmp_path / "vol"
    vol.mkdir(exist_ok=True)
    script = (f"mount -t tmpfs -o {mount_opts} none {vol} && {prep} "
              f"{sys.executable} -c {_sh(python)}")
    env = {**os.environ, "ICE287G_ROOT": str(REPO), "PYTHONPATH": str(REPO)}
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


def _sh(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


CHECK = textwrap.dedent("""
    import os, sys, json
    from pathlib import Path
    from ice287g.pipeline.s8_write import write_outputs, WriteError
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(os.environ["OUT"])
    def snap(d):
        return {p.name: p.read_bytes().decode() for p in sorted(d.iterdir())} if d.is_dir() else None
    before = snap(out)
    try:
        write_outputs({"a.csv": "new\\n" * int(os.environ.get("N", "1")), "b.csv": "new\\n"}, out)
        result = "ok"
    except WriteError as exc:
        result = f"error: {exc}; nothing was written"
    print(json.dumps({"result": result, "before": before, "after": snap(out),
                      "beside": sorted(os.listdir(out.parent))}))
""")


@MOUNTS
def test_a_real_mount_point_out_builds(tmp_path):
    vol = tmp_path / "vol"
    r = _in_namespace(tmp_path, "size=1m", f"import os; os.environ['OUT'] = '{vol}'\n" + CHECK,
                      prep=f"printf old > {vol}/a.csv &&")
    assert r.returncode == 0, r.stderr
    import json

    got = json.loads(r.stdout)
    assert got["result"] == "ok", got
    assert got["before"] == {"a.csv": "old"} and got["after"] == {"a.csv": "new\n", "b.csv": "new\n"}


def _failed_write_on_a_volume(tmp_path, size: str, then: str = "", n: int = 1) -> str:
    """CHECK writing ``n`` lines into ``vol/out`` (holding a.csv "old") on a fresh tmpfs of
    ``size``, after the shell step ``then`` (ending in ``&&``): the write fails and leaves
    ``out`` as it was, with nothing beside it. Returns its result line."""
    import json

    vol = tmp_path / "vol"
    r = _in_namespace(tmp_path, f"size={size}",
                      f"import os; os.environ['OUT'] = '{vol}/out'; os.environ['N'] = '{n}'\n" + CHECK,
                      prep=f"mkdir {vol}/out && printf old > {vol}/out/a.csv && {then}")
    got = json.loads(r.stdout)
    assert got["after"] == got["before"] == {"a.csv": "old"} and got["beside"] == ["out"], got
    return got["result"]


@MOUNTS
def test_a_real_read_only_volume(tmp_path):
    result = _failed_write_on_a_volume(tmp_path, "1m", f"mount -o remount,ro {tmp_path / 'vol'} &&")
    assert result.startswith("error: ") and "Read-only file system" in result, result
    assert result.endswith("; nothing was written") and "\n" not in result


@MOUNTS
def test_a_real_full_disk(tmp_path):
    assert "No space left on device" in _failed_write_on_a_volume(tmp_path, "64k", n=40000)


@MOUNTS
def test_the_build_command_writes_into_a_mount_point_out(tmp_path):
    """The probe of the issue: `python -m ice287g build --out <a mount point>` could never
    build (cross-device rename). It builds, and a second run with a changed archive switches
    it again, leaving nothing inside but the outputs."""
    from sheetfactory import small_archive

    arch = small_archive(tmp_path / "archive")
    vol = tmp_path / "vol"
    py = textwrap.dedent(f"""
        import os, sys, json
        from ice287g.__main__ import main
        os.environ["ICE287G_CACHE_DIR"] = "{tmp_path / 'cache'}"
        codes = [main(["build", "--sheets", "{arch}", "--out", "{vol}"])]
        first = sorted(os.listdir("{vol}"))
        codes.append(main(["build", "--sheets", "{arch}", "--sheets", "{tmp_path / 'more'}", "--out", "{vol}"]))
        print(json.dumps({{"codes": codes, "first": first, "after": sorted(os.listdir("{vol}")),
                          "ismount": os.path.ismount("{vol}"),
                          "second": "participatingAgencies05212025pm.xlsx" in open("{vol}/files.csv").read()}}))
    """)
    from sheetfactory import PART_HEADER, PART_ROWS, write_xlsx

    write_xlsx(tmp_path / "more" / "sheets_20250522_151740" / "participatingAgencies05212025pm.xlsx",
               PART_HEADER, PART_ROWS)
    r = _in_namespace(tmp_path, "size=8m", py)
    assert r.returncode == 0, r.stderr
    import json

    got = json.loads(r.stdout.strip().splitlines()[-1])
    outputs = sorted(["agreements.csv", "datapackage.json", "files.csv", "listings.csv", "pending.csv",
                      "pending_listings.csv", "pending_snapshots.csv", "qa.csv", "snapshots.csv"])
    assert got["ismount"] and got["codes"] == [0, 0], r.stderr
    assert got["first"] == outputs and got["after"] == outputs and got["second"]
