"""Stage 8: switch the output folder to the new build as ONE unit.

``write_outputs(texts, out)`` makes ``out`` hold exactly the files ``texts`` (name -> text,
written as UTF-8 bytes as given), and promises:

- **One unit.** Every file is written and fsynced into a new folder ``.<out name>.new-XXXXXXXX``
  beside ``out`` (same volume); then one ``renameat2(RENAME_EXCHANGE)`` (Linux) swaps the two
  folders, so a reader of ``out`` sees the old set or the new set, never a mix, and ``out``
  stays a plain folder of plain files (what git tracks at ``data/processed/``). The old set,
  now under the new folder's name, is deleted. Where the exchange is not available (another
  OS, a file system without it) two renames are used: ``out`` -> ``.<out name>.old-XXXXXXXX``,
  then the new folder -> ``out``; between them ``out`` is missing for an instant (never mixed).
- **A failure or a kill leaves the old set or the new set.** A failed write removes the new
  folder. A kill (even ``kill -9``, or a power loss) can leave it beside ``out``; the next
  build deletes it first, and if it was killed between the two renames of the fallback (so
  ``out`` is missing), it first puts the old set back from ``.<out name>.old-*``.
- **One build at a time.** The switch holds an exclusive ``fcntl.flock`` on the folder that
  holds ``out``; a second build says it is waiting and waits (the lock is held only while
  writing, well under a second for ``data/processed/``).
- **One line per error**, naming the folder or file: every OS error (permission, read-only,
  disk full) becomes ``WriteError(what, path)``, which the command line prints as
  ``error: <what> (<path>); nothing was written``. ``out`` is left as it was. So is an ``out``
  that is a file, a mount point (it cannot be renamed: give a folder inside the volume, e.g.
  ``--out /mnt/vol/processed``), or a folder holding files the build does not write (the
  switch would delete them: the build refuses and names them).

An ``out`` that already holds exactly these bytes is left untouched (``write_outputs``
returns False), so a rebuild with no change does not change file times.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Iterable


class WriteError(Exception):
    """The output could not be written; ``out`` was left as it was."""

    def __init__(self, what: str, path: Path | str):
        self.what, self.path = what, Path(path)
        super().__init__(f"{what} ({path})")


def write_outputs(texts: dict[str, str], out: Path, managed: Iterable[str] = ()) -> bool:
    """Make ``out`` hold exactly the files ``texts`` (name -> text), switched as one unit.

    ``managed``: other names the build may have written before (removed by the switch).
    Returns False when ``out`` already held exactly this output (nothing is touched), True
    after a switch. Raises ``WriteError`` and leaves ``out`` as it was."""
    out = Path(os.path.abspath(out))
    if out.is_symlink():  # switch the folder it points to (a link is not replaced by a folder)
        out = out.resolve()
    if out.exists() and not out.is_dir():
        raise WriteError("the output path is a file, not a folder", out)
    if os.path.ismount(out):
        raise WriteError("the output folder is a mount point, which cannot be switched as one "
                         "unit; give a folder inside it", out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(out.parent, os.O_RDONLY)
    except OSError as exc:
        raise WriteError(f"cannot open the output's parent folder: {exc.strerror}", out.parent) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build to finish writing {out}", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        _clean(out)
        if _holds(out, texts):
            return False
        foreign = sorted(set(os.listdir(out)) - set(texts) - set(managed)) if out.is_dir() else []
        if foreign:
            raise WriteError(f"the output folder holds files the build does not write "
                             f"({', '.join(foreign)}); the switch would delete them: move "
                             f"them, or give another --out", out)
        try:
            _switch(texts, out)
        finally:
            _clean(out)
        return True
    except OSError as exc:  # one that no step below names (listing, reading, cleaning)
        raise WriteError(f"cannot write the output: {exc.strerror or exc}", exc.filename or out) from None
    finally:
        os.close(lock)  # releases the flock


def _holds(out: Path, texts: dict[str, str]) -> bool:
    """Does ``out`` hold exactly the files ``texts``, byte for byte?"""
    try:
        return set(os.listdir(out)) == set(texts) and all(
            (out / n).read_bytes() == t.encode("utf-8") for n, t in texts.items())
    except OSError:
        return False


def _write_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, as given) to a new file and fsync it."""
    with open(path, "xb") as f:
        f.write(text.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def _fsync(folder: Path) -> None:
    """Flush a folder's entries to disk (best effort: some file systems refuse it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); OSError if unsupported."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not in this C library", str(a))
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(a), None, str(b))


def _leftovers(out: Path, kind: str) -> list[Path]:
    prefix = f".{out.name}.{kind}-"
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(prefix))


def _clean(out: Path) -> None:
    """Under the lock: put the old set back if a switch died between its two renames
    (``out`` missing), then delete every new/old folder a build left beside ``out``."""
    olds = _leftovers(out, "old")
    if not out.exists() and olds:
        os.rename(olds.pop(), out)
    for p in olds + _leftovers(out, "new"):
        shutil.rmtree(p, ignore_errors=True)


def _switch(texts: dict[str, str], out: Path) -> None:
    token = secrets.token_hex(4)
    new = out.parent / f".{out.name}.new-{token}"
    try:
        new.mkdir()
        if out.exists():
            shutil.copymode(out, new)
    except OSError as exc:
        raise WriteError(f"cannot create a folder beside the output: {exc.strerror}", out.parent) from None
    for name, text in texts.items():
        try:
            _write_file(new / name, text)
        except OSError as exc:
            raise WriteError(f"cannot write {name}: {exc.strerror}", out.parent) from None
    try:
        _fsync(new)
        if not out.exists():
            os.rename(new, out)
        else:
            try:
                _exchange(new, out)
            except OSError as exc:
                if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                os.rename(out, out.parent / f".{out.name}.old-{token}")  # the fallback
                os.rename(new, out)
        _fsync(out.parent)
    except OSError as exc:
        raise WriteError(f"cannot switch the new output into place: {exc.strerror}", out) from None
