"""Writing files all or nothing: the one way the package and its tools replace a file or
publish a folder.

:func:`atomic_write` writes to a temporary file in the target's own folder and renames it over
the target (``os.replace``, atomic on POSIX and Windows within one file system) only when the
writing finished: a reader sees the old file or the new one, never half of one, and an error
leaves the old file as it was and no temporary file behind. :func:`atomic_folder` does the same
for a new folder (filled under a temporary name, then renamed).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: Path | str, mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None, permissions: int = 0o644):
    """``with atomic_write(path) as f: f.write(...)``: ``path`` is replaced when the block ends
    without an error (``mode`` ``"w"`` for text, ``"wb"`` for bytes; the folder is made if
    missing). The file gets ``permissions`` (a temporary file would otherwise keep 0o600)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes a whole file: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        text = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **text) as f:
            yield f
        os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: Path | str, data: bytes) -> Path:
    """Replace ``path`` with ``data``, all or nothing."""
    with atomic_write(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path: Path | str, text: str, *, newline: str | None = "\n") -> Path:
    """Replace ``path`` with ``text`` in UTF-8 (line ends written as given), all or nothing."""
    with atomic_write(path, "w", newline=newline) as f:
        f.write(text)
    return Path(path)


@contextmanager
def atomic_folder(folder: Path | str, *, permissions: int = 0o755):
    """``with atomic_folder(dest / "name") as tmp: ...fill tmp...``: the folder appears, whole,
    under its name when the block ends without an error (it must not exist yet); otherwise
    the temporary folder is removed and nothing appears. The folder gets ``permissions`` (a
    temporary folder would otherwise keep 0o700)."""
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder} already exists")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        yield tmp
        os.chmod(tmp, permissions)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
