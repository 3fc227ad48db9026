"""Writing the outputs (ice287g/pipeline/s8_write.py), tested by making things go wrong.

The promises: (1) a reader of ``out`` sees the old set or the new set, never a mix; (2) a
failure or a kill at any point leaves the old or the new complete set and the next build
recovers; (3) the bytes written are the bytes given; (4) two builds do not interleave, and
every error is one line naming the folder or file.

Writers that get killed, interrupted, stopped or limited run in a forked child (cheap: no new
interpreter), where an audit hook (``sys.addaudithook``: every open, mkdir, rename, flock,
rmtree ... of the write raises an event) kills the child just before its n-th operation, for
every n until the write completes. A "C library without renameat2" is made the same way, to
run everything through the fallback switch as well.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path

import pytest

from conftest import REPO
from sheetfactory import snapshot_dir

from ice287g.pipeline.s8_write import WriteError, write_outputs

OLD = {"snapshots.csv": "build,1\nold,1\n", "qa.csv": "name\nold\n", "files.csv": "old\n"}
NEW = {"snapshots.csv": "build,2\nnew,2\n", "qa.csv": "name\nnew\n" * 40, "files.csv": "new\n",
       "agreements.csv": "new\n",
       "listings.csv": "id,name\r\n1,Policía de Cayo Hueso\r\n2,no newline at the end"}
SETS = {"old": OLD, "new": NEW}


def as_bytes(texts: dict[str, str]) -> dict[str, bytes]:
    return {k: v.encode("utf-8") for k, v in texts.items()}


def which(out: Path) -> str:
    """'old', 'new', 'missing', or 'MIXED ...' for what ``out`` holds."""
    if not out.exists():
        return "missing"
    got = snapshot_dir(out)
    return next((k for k, v in SETS.items() if got == as_bytes(v)), f"MIXED {sorted(got)}")


def beside(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


@pytest.fixture()
def out(tmp_path):
    folder = tmp_path / "parent" / "processed"
    folder.mkdir(parents=True)
    for name, text in OLD.items():
        (folder / name).write_text(text)
    return folder


def reset(out: Path) -> None:
    shutil.rmtree(out.parent)
    out.mkdir(parents=True)
    for name, text in OLD.items():
        (out / name).write_text(text)


# ----------------------------------------------------------------------------- forked writers


def fork(job, *, hooks=(), log: Path | None = None, fsize: int | None = None) -> int:
    """Run ``job()`` in a forked child with audit ``hooks`` (and a file size limit); its
    stderr goes to ``log``; a WriteError is printed as the command line prints it. Returns
    the pid (exit 0 done, 1 WriteError, 2 anything else)."""
    pid = os.fork()
    if pid:
        return pid
    code = 2
    try:
        sys.stderr = open(log or os.devnull, "w")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails (EFBIG)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        for hook in hooks:
            sys.addaudithook(hook)
        job()
        code = 0
    except WriteError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        code = 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def wait(pid: int) -> int:
    """The exit code, or minus the signal that ended the child."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def signal_at(n: int, sig: int):
    """An audit hook sending ``sig`` to this process just before its n-th audited operation."""
    count = [0]

    def hook(event, args):
        count[0] += 1
        if count[0] == n:
            os.kill(os.getpid(), sig)
    return hook


def no_renameat2(event, args):
    """This C library has no renameat2 (as on macOS or an old libc)."""
    if event == "ctypes.dlsym" and args[1] == "renameat2":
        raise AttributeError("renameat2")


MODES = {"exchange": (), "no renameat2": (no_renameat2,)}


# ----------------------------------------------------------------------------- 1. one unit


def test_the_new_output_replaces_the_old_as_a_whole(out):
    assert write_outputs(NEW, out) is True
    assert which(out) == "new" and beside(out) == []
    assert out.is_dir() and not out.is_symlink()  # git tracks plain files in a plain folder
    assert all(p.is_file() and not p.is_symlink() for p in out.iterdir())


@pytest.mark.parametrize("mode", MODES)
def test_a_reader_never_sees_files_of_two_builds(tmp_path, mode):
    """A forked writer switches between two builds (40 times or more) while this process
    opens the folder and reads every file through that handle: each look sees one whole
    build. With the exchange ``out`` is never missing; with the fallback it may be, for an
    instant."""
    out = tmp_path / "parent" / "out"
    a = {f"t{i}.csv": f"A{i}\n" * 50 for i in range(8)}
    b = {f"t{i}.csv": f"B{i}\n" * 50 for i in range(8)}
    write_outputs(a, out)

    enough = tmp_path / "enough"  # made by the reader once it has seen both builds

    def writer():
        k, deadline = 0, time.monotonic() + 30
        while k < 40 or (not enough.exists() and time.monotonic() < deadline):
            write_outputs(b if k % 2 == 0 else a, out)
            k += 1
            time.sleep(0.002)

    pid = fork(writer, hooks=MODES[mode], log=tmp_path / "log")
    seen, mixed, missing = set(), [], 0
    while not (done := os.waitpid(pid, os.WNOHANG))[0]:
        try:
            fd = os.open(out, os.O_RDONLY)
        except FileNotFoundError:
            missing += 1
            continue
        try:
            heads = set()
            for i in range(8):
                f = os.open(f"t{i}.csv", os.O_RDONLY, dir_fd=fd)
                heads.add(os.read(f, 1))
                os.close(f)
        except FileNotFoundError:  # the folder it opened was a previous build, now deleted
            continue
        finally:
            os.close(fd)
        seen.update(heads)
        if len(heads) != 1:
            mixed.append(heads)
        if seen == {b"A", b"B"}:
            enough.touch()
    assert os.waitstatus_to_exitcode(done[1]) == 0, (tmp_path / "log").read_text()
    assert not mixed, mixed[:3]
    assert seen == {b"A", b"B"}, f"the reader did not see both builds: {seen}"
    assert mode != "exchange" or missing == 0, f"out was missing {missing} times"
    assert beside(out) == [] and snapshot_dir(out) in (as_bytes(a), as_bytes(b))


# ----------------------------------------------------------------------------- 2. kills and failures


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "ctrl-c"])
@pytest.mark.parametrize("mode", MODES)
def test_a_build_stopped_at_any_point_leaves_one_whole_set(out, tmp_path, mode, sig):
    """Stop the writer before its 1st, 2nd, ... operation until one completes. Each time
    ``out`` holds the old set or the new one (with the fallback, a kill between its two
    renames leaves ``out`` missing and the whole old set beside it), and the next build puts
    the new set in place and leaves nothing beside it."""
    states = []
    for n in range(1, 200):
        reset(out)
        code = wait(fork(lambda: write_outputs(NEW, out), hooks=[*MODES[mode], signal_at(n, sig)],
                         log=tmp_path / "log"))
        log = (tmp_path / "log").read_text()
        if code == 0:  # the n-th operation was past the last: the write completed
            assert which(out) == "new" and beside(out) == [], log
            break
        assert code == (-sig if sig == signal.SIGKILL else 2), log
        state = which(out)
        if state == "missing":
            olds = [p for p in out.parent.iterdir() if p.name.startswith(".processed.old-")]
            assert mode != "exchange" and len(olds) == 1, (n, beside(out))
            assert snapshot_dir(olds[0]) == as_bytes(OLD), n
        else:
            assert state in ("old", "new"), (n, state)
        states.append(state)
        write_outputs(NEW, out)  # the next build
        assert which(out) == "new" and beside(out) == [], (n, beside(out))
    else:
        pytest.fail("the write never completed")
    assert len(states) >= 10 and {"old", "new"} <= set(states), states
    if mode != "exchange" and sig == signal.SIGKILL:
        assert "missing" in states, states


def test_a_failed_write_leaves_the_old_set_and_says_so_in_one_line(out, tmp_path):
    """A real write error: a file size limit makes writing the large file fail (EFBIG)."""
    big = {**NEW, "qa.csv": "name\nnew\n" * 5000}
    code = wait(fork(lambda: write_outputs(big, out), log=tmp_path / "log", fsize=10_000))
    lines = (tmp_path / "log").read_text().splitlines()
    assert code == 1 and lines == [
        f"error: cannot write qa.csv: File too large ({out.parent}); nothing was written"], lines
    assert which(out) == "old" and beside(out) == []


def test_out_is_a_file(tmp_path):
    f = tmp_path / "out"
    f.write_text("a file")
    with pytest.raises(WriteError, match="is a file, not a folder") as e:
        write_outputs(NEW, f)
    assert e.value.path == f and f.read_text() == "a file"


def test_files_the_build_does_not_write_are_never_deleted(out):
    """A switch replaces the whole folder: a file the build does not write (a note, an
    editor's lock file) would vanish, so the build refuses and names it."""
    (out / "notes.txt").write_text("mine\n")
    before = snapshot_dir(out)
    with pytest.raises(WriteError) as e:
        write_outputs(NEW, out)
    assert str(e.value) == (f"the output folder holds files the build does not write (notes.txt); "
                            f"the switch would delete them: move them, or give another --out ({out})")
    assert snapshot_dir(out) == before and beside(out) == []


def test_a_file_the_build_no_longer_writes_is_removed(out):
    (out / "pending.csv").write_text("an output of an older build\n")
    write_outputs(NEW, out, managed=["pending.csv"])
    assert which(out) == "new"


# ----------------------------------------------------------------------------- 3. the bytes


def test_the_bytes_written_are_the_bytes_given(out):
    """UTF-8, line ends as given (CRLF kept, no newline added), nothing else in the folder."""
    write_outputs(NEW, out)
    assert snapshot_dir(out) == as_bytes(NEW)
    assert (out / "listings.csv").read_bytes().endswith(b"2,no newline at the end")


def test_an_unchanged_output_is_not_touched(out):
    write_outputs(NEW, out)
    inodes = {p.name: p.stat().st_ino for p in out.iterdir()}
    mtime = out.stat().st_mtime_ns
    assert write_outputs(NEW, out) is False
    assert {p.name: p.stat().st_ino for p in out.iterdir()} == inodes and out.stat().st_mtime_ns == mtime


def test_a_new_output_folder_and_missing_parents_are_created(tmp_path):
    target = tmp_path / "a" / "b" / "out"
    write_outputs(NEW, target)
    assert snapshot_dir(target) == as_bytes(NEW)


def test_folder_permissions_are_kept(out):
    out.chmod(0o750)
    write_outputs(NEW, out)
    assert out.stat().st_mode & 0o777 == 0o750


def test_a_symlinked_out_switches_the_folder_it_points_to(out, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(out)
    write_outputs(NEW, link)
    assert link.is_symlink() and which(out) == "new"


# ----------------------------------------------------------------------------- 4. two builds


def test_a_second_build_waits_for_the_first(out, tmp_path):
    """The first writer is stopped (SIGSTOP) as it starts writing its files; a second one
    says it is waiting and leaves ``out`` alone until the first has finished."""
    first_files = set(NEW)

    def stop_when_writing(event, args):
        if event == "open" and isinstance(args[0], str) and Path(args[0]).name in first_files:
            first_files.clear()
            os.kill(os.getpid(), signal.SIGSTOP)

    other = {"snapshots.csv": "second\n"}
    first = fork(lambda: write_outputs(NEW, out), hooks=[stop_when_writing], log=tmp_path / "log1")
    status = os.waitpid(first, os.WUNTRACED)[1]
    assert os.WIFSTOPPED(status), os.waitstatus_to_exitcode(status)
    second = fork(lambda: write_outputs(other, out, managed=NEW), log=tmp_path / "log2")
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "log2").exists() or "waiting" not in (tmp_path / "log2").read_text():
            assert time.monotonic() < deadline and not os.waitpid(second, os.WNOHANG)[0], \
                "the second build did not wait"
            time.sleep(0.02)
        assert (tmp_path / "log2").read_text() == f"waiting for another build to finish writing {out}\n"
        time.sleep(0.3)
        assert os.waitpid(second, os.WNOHANG) == (0, 0) and which(out) == "old"
    finally:
        os.kill(first, signal.SIGCONT)
    assert wait(first) == 0 and wait(second) == 0, (tmp_path / "log1").read_text()
    assert snapshot_dir(out) == as_bytes(other) and beside(out) == []


def test_concurrent_builds_do_not_interleave(tmp_path):
    """Two processes write different builds 15 times each: at the end every file comes from
    one build, and nothing is left beside the folder."""
    out = tmp_path / "out"

    def builds(tag):
        for k in range(15):
            write_outputs({f"t{i}.csv": f"{tag}{k}\n" for i in range(6)}, out)

    pids = [fork(lambda tag=tag: builds(tag), log=tmp_path / tag) for tag in "XY"]
    assert [wait(p) for p in pids] == [0, 0], [(tmp_path / t).read_text() for t in "XY"]
    assert {p.read_text() for p in out.iterdir()} in ({"X14\n"}, {"Y14\n"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X", "Y", "out"]


# ----------------------------------------------------------------------------- real volumes


def _can_unshare_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt && umount /mnt"],
                       capture_output=True)
    return r.returncode == 0


MOUNTS = pytest.mark.skipif(not _can_unshare_mount(),
                            reason="needs unshare -m and mount (root in a private mount namespace)")

CHECK = textwrap.dedent("""
    import os, sys, json
    from pathlib import Path
    from ice287g.pipeline.s8_write import write_outputs, WriteError
    out = Path(os.environ["OUT"])
    def snap(d):
        return {p.name: p.read_bytes().decode() for p in sorted(d.iterdir())} if d.is_dir() else None
    before = snap(out)
    try:
        write_outputs({"a.csv": "new\\n" * int(os.environ["N"]), "b.csv": "new\\n"}, out)
        result = "ok"
    except WriteError as exc:
        result = f"error: {exc}; nothing was written"
    print(json.dumps({"result": result, "before": before, "after": snap(out),
                      "beside": sorted(os.listdir(out.parent))}))
""")


def _on_a_volume(tmp_path, size: str, out: str, then: str = "", n: int = 1) -> dict:
    """CHECK writing ``n`` lines into ``vol/<out>`` (holding a.csv "old") on a fresh tmpfs of
    ``size`` in a private mount namespace (gone with the process), after the shell step
    ``then`` (ending in ``&&``)."""
    vol = tmp_path / "vol"
    vol.mkdir(parents=True)
    target = vol / out if out else vol
    script = (f"mount -t tmpfs -o size={size} none {vol} && mkdir -p {target} && "
              f"printf old > {target}/a.csv && {then} {sys.executable} -c \"$CHECK\"")
    env = {**os.environ, "ICE287G_ROOT": str(REPO), "PYTHONPATH": str(REPO), "CHECK": CHECK,
           "OUT": str(target), "N": str(n)}
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                       env=env, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _refused(got: dict, *says: str) -> None:
    assert got["after"] == got["before"] == {"a.csv": "old"}, got
    result = got["result"]
    assert result.startswith("error: ") and result.endswith("; nothing was written"), result
    assert "\n" not in result and all(s in result for s in says), result


@MOUNTS
def test_a_read_only_volume(tmp_path):
    got = _on_a_volume(tmp_path, "1m", "out", then=f"mount -o remount,ro {tmp_path / 'vol'} &&")
    _refused(got, "Read-only file system", str(tmp_path / "vol"))


@MOUNTS
def test_a_full_disk(tmp_path):
    got = _on_a_volume(tmp_path, "64k", "out", n=40000)
    _refused(got, "No space left on device", "a.csv")
    assert got["beside"] == ["out"]


@MOUNTS
def test_a_mount_point_out_is_refused_with_what_to_do(tmp_path):
    """A mount point cannot be renamed, so it cannot be switched as one unit."""
    got = _on_a_volume(tmp_path, "1m", "")
    _refused(got, "is a mount point", "give a folder inside it", str(tmp_path / "vol"))
    assert _on_a_volume(tmp_path / "again", "1m", "processed")["result"] == "ok"


@pytest.mark.skipif(os.geteuid() == 0,
                    reason="root ignores folder permissions (test_a_read_only_volume covers it)")
def test_permission_denied(out):
    before = snapshot_dir(out)
    out.parent.chmod(0o555)
    try:
        with pytest.raises(WriteError, match="Permission denied") as e:
            write_outputs(NEW, out)
    finally:
        out.parent.chmod(0o755)
    assert "\n" not in str(e.value) and snapshot_dir(out) == before and beside(out) == []
