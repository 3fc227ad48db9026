"""Stage 8: switch the whole output folder to the new build as ONE unit.

``write_outputs(texts, out)`` never leaves ``out`` holding files of two builds, and on any
failure leaves it byte-identical:

1. **Lock.** An exclusive ``fcntl.flock`` on ``.<out name>.lock`` beside ``out`` (inside
   ``out`` when ``out`` is a mount point) serialises writers: a second build *waits* for the
   first to finish its switch (at most ``LOCK_TIMEOUT`` seconds, then fails clearly naming
   the lock and its holder's pid). The lock file is removed on release (an acquirer re-checks
   that the file it locked is still the one on disk), so nothing is left beside ``out``.
2. **Recover.** Under the lock, leftovers of a build that was killed (``kill -9``, power
   loss) are handled first: a missing ``out`` is restored from its ``.old`` folder, and every
   ``.<out name>.new-*`` / ``.old-*`` folder is deleted.
3. **Stage.** Every file is written (and fsynced) into a new sibling folder
   ``.<out name>.new-XXXXXXXX`` on the same volume; files of ``out`` that the build does not
   produce (and that are not in ``managed``) are carried over (hard-linked, else copied).
4. **Switch.** One ``renameat2(RENAME_EXCHANGE)`` swaps the staged folder and ``out``
   atomically (Linux); the previous output, now in the sibling, is deleted. ``out`` stays a
   plain folder of plain files, which is what git tracks at ``data/processed/``. Where the
   exchange is not supported, two renames are used (``out`` -> ``.old``, staged -> ``out``):
   if the process dies between them, ``out`` is missing until the next write restores it.

SIGTERM, SIGINT and SIGHUP during a write remove the staged folder and raise ``WriteError``
("interrupted"); a signal arriving during the switch itself is held until the switch and
its clean-up are done.

**``out`` on its own volume** (a mount point: it cannot be renamed, and a sibling folder is
on another device). Then the staged folder is made inside ``out`` (``out/.ice287g-new-*``),
and the switch is *journaled*: once every file is staged and fsynced, a journal
``out/.ice287g-switch.json`` naming the files is written atomically (the commit point), the
files are renamed into place one by one, and the journal is removed. A build killed after
the commit point leaves the journal; the next write completes the switch (roll forward)
before doing anything else, so ``out`` always ends as one whole build. (During the few
milliseconds of renames a reader can see files of both builds: give ``--out`` a folder inside
the volume, e.g. ``--out /mnt/vol/processed``, to get the atomic switch instead.) The same
mode is used when the exchange fails with EXDEV or EBUSY (a bind mount).

Every OS error (permission denied, read-only file system, disk full, ``out`` is a file)
becomes ``WriteError(what, path)``; the command line prints it as one line
``error: <what> (<path>); nothing was written``.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import secrets
import shutil
import signal
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

#: Seconds a second build waits for the first one's lock before failing.
LOCK_TIMEOUT = float(os.environ.get("ICE287G_LOCK_TIMEOUT", "120"))
#: Signals that, during a write, clean up and fail the write.
SIGNALS = tuple(s for s in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)) if s)

IN_VOLUME_PREFIX = ".ice287g-new-"
JOURNAL = ".ice287g-switch.json"
IN_VOLUME_LOCK = ".ice287g.lock"


class WriteError(Exception):
    """The output could not be written; ``out`` was left as it was."""

    def __init__(self, what: str, path: Path | str, signum: int | None = None):
        self.what = what
        self.path = Path(path)
        self.signum = signum
        super().__init__(f"{what} ({path})")


class _Interrupted(BaseException):
    """A signal arrived during a write (BaseException: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signum)


# --------------------------------------------------------------------------- primitives


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_libc = None


def _exchange(a: Path, b: Path) -> None:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); OSError if unsupported."""
    global _libc
    if not sys.platform.startswith("linux"):
        raise OSError(errno.ENOSYS, "renameat2 is Linux-only", str(a))
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(_libc, "renameat2", None)
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 is not in this C library", str(a))
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(a), None, str(b))


def _is_mount(path: Path) -> bool:
    return os.path.ismount(path)


def _write_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, as given) to a new file and fsync it."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _carry(src: Path, dst: Path) -> None:
    """Copy a file, folder or link of the previous output into the staged folder."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        dst.mkdir()
        shutil.copystat(src, dst)
        for child in sorted(src.iterdir()):
            _carry(child, dst / child.name)
    else:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


# --------------------------------------------------------------------------- the lock


class _Lock:
    """An exclusive flock on ``path``, removed on release (see the module docstring)."""

    def __init__(self, path: Path, timeout: float, notice: Callable[[str], None]):
        self.path = path
        deadline = time.monotonic() + timeout
        told = False
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise WriteError(f"another build (pid {holder or 'unknown'}) has held the "
                                     f"output lock for more than {timeout:g} s", path) from None
                if not told:
                    notice(f"waiting for another build (pid {holder or 'unknown'}) to finish "
                           f"writing (lock {path})")
                    told = True
                time.sleep(0.05)
                continue
            except BaseException:
                os.close(fd)
                raise
            # The holder before us may have removed the file after we opened it.
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            self.fd = fd
            try:  # the holder's pid, for the messages of builds waiting (best effort)
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError:
                pass
            return

    def release(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self.fd)


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


# --------------------------------------------------------------------------- signals


class _Signals:
    """During a write, turn SIGTERM/SIGINT/SIGHUP into ``_Interrupted`` (main thread only)."""

    def __init__(self):
        self.pending: int | None = None
        self.holding = False
        self.old: dict[int, object] = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                self.old[s] = signal.signal(s, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.holding or self.pending is not None:
            self.pending = self.pending or signum
            return
        self.pending = signum
        raise _Interrupted(signum)

    def hold(self):
        """From now on, signals wait until ``__exit__`` (the switch must not be cut)."""
        self.holding = True

    def __exit__(self, *exc):
        for s, h in self.old.items():
            signal.signal(s, h)
        if self.holding and self.pending is not None:
            # The switch happened: the output is whole. Now act on the signal as usual.
            signal.raise_signal(self.pending)
        return False


# --------------------------------------------------------------------------- the write


def _check_names(texts: dict[str, str]) -> None:
    for name in texts:
        if not name or "/" in name or "\\" in name or name.startswith(".") or name in ("..",):
            raise ValueError(f"not a plain output file name: {name!r}")


def write_outputs(texts: dict[str, str], out: Path, managed: Iterable[str] = (),
                  lock_timeout: float | None = None,
                  notice: Callable[[str], None] | None = None) -> bool:
    """Make ``out`` hold exactly the files ``texts`` (name -> text) as one switch.

    Files of ``out`` named in ``managed`` but not in ``texts`` are removed; any other file
    already in ``out`` is kept. Returns False when ``out`` already held exactly this output
    (then nothing is touched), True after a switch. Raises ``WriteError`` (``out`` unchanged).
    """
    _check_names(texts)
    notice = notice or (lambda m: print(m, file=sys.stderr, flush=True))
    timeout = LOCK_TIMEOUT if lock_timeout is None else lock_timeout
    out = Path(os.path.abspath(out))
    if out.is_symlink():  # switch the folder it points to (a link is not replaced by a folder)
        out = out.resolve()
    if out.exists() and not out.is_dir():
        raise WriteError("the output path is a file, not a folder", out)
    managed = set(managed) - set(texts)
    created: list[Path] = []  # parent folders this call made (removed again on failure)
    lock = None
    try:
        with _Signals() as sig:
            try:
                in_volume = out.is_dir() and _is_mount(out)
                place = out if in_volume else out.parent
                missing = [p for p in [place, *place.parents] if not p.exists()]
                for p in reversed(missing):
                    try:
                        p.mkdir()
                    except OSError as exc:
                        raise WriteError(f"cannot create the output's parent folder: "
                                         f"{exc.strerror}", p) from None
                    created.append(p)
                lock_path = place / (IN_VOLUME_LOCK if in_volume else f".{out.name}.lock")
                try:
                    lock = _Lock(lock_path, timeout, notice)
                except OSError as exc:
                    raise WriteError(f"cannot take the output lock: {exc.strerror}",
                                     lock_path) from None
                if in_volume:
                    _recover_in_volume(out)
                else:
                    _recover_sibling(out)
                if _unchanged(out, texts, managed):
                    return False
                if in_volume:
                    _write_in_volume(texts, out, managed, sig)
                else:
                    _write_sibling(texts, out, managed, sig)
                created.clear()
                return True
            except _Interrupted as exc:
                name = signal.Signals(exc.signum).name
                raise WriteError(f"interrupted by {name}", out, signum=exc.signum) from None
            finally:
                if lock is not None:
                    lock.release()
    finally:
        for p in reversed(created):
            try:
                p.rmdir()
            except OSError:
                pass


def _unchanged(out: Path, texts: dict[str, str], managed: set[str]) -> bool:
    if not out.is_dir() or any((out / m).exists() for m in managed):
        return False
    for name, text in texts.items():
        try:
            if (out / name).read_bytes() != text.encode("utf-8"):
                return False
        except OSError:
            return False
    return True


def _os_error(what: str, exc: OSError, path: Path) -> WriteError:
    return WriteError(f"{what}: {exc.strerror or exc}", path)


def _stage(texts: dict[str, str], staging: Path, out: Path) -> None:
    for name, text in texts.items():
        try:
            _write_file(staging / name, text)
        except OSError as exc:
            raise _os_error(f"cannot write {name}", exc, staging.parent) from None
    _fsync_dir(staging)


def _sibling_leftovers(out: Path) -> list[Path]:
    if not out.parent.is_dir():
        return []
    prefix = (f".{out.name}.new-", f".{out.name}.old-")
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(prefix))


def _recover_sibling(out: Path) -> None:
    left = _sibling_leftovers(out)
    if not out.exists():
        olds = [p for p in left if p.name.startswith(f".{out.name}.old-")]
        if olds:  # killed between the two renames of the fallback switch
            os.rename(olds[-1], out)
            left.remove(olds[-1])
    for p in left:
        _rmtree(p)


def _write_sibling(texts: dict[str, str], out: Path, managed: set[str], sig: _Signals) -> None:
    token = secrets.token_hex(4)
    staging = out.parent / f".{out.name}.new-{token}"
    try:
        try:
            staging.mkdir()
        except OSError as exc:
            raise _os_error("cannot create a folder beside the output", exc, out.parent) from None
        try:
            os.chmod(staging, stat.S_IMODE(out.stat().st_mode) if out.exists() else _default_mode())
        except OSError as exc:
            raise _os_error("cannot set the new folder's permissions", exc, staging) from None
        _stage(texts, staging, out)
        try:
            if out.is_dir():
                for p in sorted(out.iterdir()):
                    if p.name not in texts and p.name not in managed:
                        _carry(p, staging / p.name)
        except OSError as exc:
            raise _os_error("cannot copy the previous output's other files", exc, out) from None
        sig.hold()
        if not out.exists():
            try:
                os.rename(staging, out)
            except OSError as exc:
                raise _os_error("cannot move the new output into place", exc, out) from None
            _fsync_dir(out.parent)
            return
        try:
            _exchange(staging, out)
        except OSError as exc:
            if exc.errno in (errno.EXDEV, errno.EBUSY):
                # out is a mount point the check did not see (a bind mount): in-volume mode.
                sig.holding = False
                if sig.pending is not None:
                    raise _Interrupted(sig.pending) from None
                _rmtree(staging)
                _recover_in_volume(out)
                _write_in_volume(texts, out, managed, sig)
                return
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise _os_error("cannot switch the new output into place", exc, out) from None
            old = out.parent / f".{out.name}.old-{token}"
            try:
                os.rename(out, old)
            except OSError as exc2:
                raise _os_error("cannot move the previous output aside", exc2, out) from None
            try:
                os.rename(staging, out)
            except OSError as exc2:
                os.rename(old, out)
                raise _os_error("cannot move the new output into place", exc2, out) from None
            staging = old
        _fsync_dir(out.parent)
    finally:
        _rmtree(staging)


def _recover_in_volume(out: Path) -> None:
    journal = out / JOURNAL
    if journal.exists():
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
            staging = out / plan["staging"]
            for name in plan["files"]:
                if (staging / name).exists():
                    os.replace(staging / name, out / name)
            for name in plan["remove"]:
                try:
                    (out / name).unlink()
                except FileNotFoundError:
                    pass
        except (ValueError, KeyError, TypeError) as exc:
            raise WriteError(f"the switch journal of an interrupted build is unreadable "
                             f"({exc}); remove it and rebuild", journal) from None
        _fsync_dir(out)
        journal.unlink()
    for p in out.iterdir():
        if p.name.startswith(IN_VOLUME_PREFIX) or p.name.startswith(JOURNAL + "."):
            _rmtree(p) if p.is_dir() else p.unlink()


def _write_in_volume(texts: dict[str, str], out: Path, managed: set[str], sig: _Signals) -> None:
    staging = out / (IN_VOLUME_PREFIX + secrets.token_hex(4))
    committed = False
    try:
        try:
            staging.mkdir()
        except OSError as exc:
            raise _os_error("cannot create a folder inside the output", exc, out) from None
        _stage(texts, staging, out)
        plan = {"staging": staging.name, "files": sorted(texts),
                "remove": sorted(m for m in managed if (out / m).exists())}
        tmp = out / f"{JOURNAL}.{secrets.token_hex(4)}"
        try:
            _write_file(tmp, json.dumps(plan))
        except OSError as exc:
            try:
                tmp.unlink()
            except OSError:
                pass
            raise _os_error("cannot write the switch journal", exc, out) from None
        sig.hold()
        os.replace(tmp, out / JOURNAL)  # the commit point
        _fsync_dir(out)
        committed = True
        _recover_in_volume(out)  # carry the journal out
    finally:
        if not committed:
            _rmtree(staging)
