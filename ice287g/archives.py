"""Download the raw archives of ICE's sheets from the repository's release assets.

The repository never commits a workbook: the archives the default build reads
(``config.DEFAULT_SHEET_ARCHIVES``) are kept as assets of the release ``archive-base`` (one
``<name>.tar.gz`` per archive folder, and a ``SHA256SUMS`` of those files; see data/README.md,
"Updating the data"). A clone without ``../shared`` gets them with

    python -m ice287g get-archives [--dest DIR] [--url BASE_URL]

which downloads ``SHA256SUMS`` and every listed archive, checks each file's SHA-256 before
unpacking it, unpacks only plain files and folders inside their own folder (no absolute
paths, no ``..``, no links or devices, within size caps), and each archive folder appears
whole in ``--dest`` (default: where the build looks, ``../shared/data``) or not at all
(:func:`ice287g.files.atomic_folder`). An archive folder already there is left alone. Every
failure is one line naming the URL or file, and nothing is kept of the archive that failed.

The downloads go through :func:`ice287g.fetch.get` (one deadline per attempt, only
https/http, redirects only to GitHub's release hosts).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import config, files
from .fetch import FetchError, get

#: The release whose assets hold the archives.
RELEASE = "archive-base"
#: Hosts GitHub serves release downloads from (the download URL redirects to the last two).
GITHUB_HOSTS = ("github.com", "objects.githubusercontent.com",
                "release-assets.githubusercontent.com")
#: Caps: one archive's compressed and unpacked size, and its number of members.
MAX_DOWNLOAD_BYTES = 512 * 2**20
MAX_UNPACKED_BYTES = 2 * 2**30
MAX_MEMBERS = 20_000


class ArchiveError(Exception):
    """A download or an archive that cannot be used; the message is one line."""


def release_url(repository_url: str | None = None) -> str:
    """The download address of :data:`RELEASE`'s assets, from ``repository.url`` in
    ``_config.yml`` (the one place the repository is named)."""
    if repository_url is None:
        settings = yaml.safe_load((config.REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
        repository_url = settings["repository"]["url"]
    return f"{repository_url.rstrip('/')}/releases/download/{RELEASE}/"


def parse_sums(text: str, url: str) -> dict[str, str]:
    """``SHA256SUMS`` (``<hex>  <file>`` lines) as {file: hex}; only ``*.tar.gz`` names of
    plain characters are accepted."""
    sums = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        name = parts[-1].lstrip("*") if len(parts) == 2 else ""
        digest = parts[0].lower() if len(parts) == 2 else ""
        if (len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)
                or not name.endswith(".tar.gz") or "/" in name or "\\" in name
                or not all(c.isalnum() or c in "-_." for c in name) or name.startswith(".")):
            raise ArchiveError(f"{url}: line {number}: not '<sha256>  <name>.tar.gz'")
        sums[name] = digest
    if not sums:
        raise ArchiveError(f"{url}: lists no .tar.gz archive")
    return sums


def safe_unpack(data: bytes, name: str, into: Path, top: str | None = None) -> list[str]:
    """Unpack the tar.gz ``data`` into ``into`` (which must be empty); return the top-level
    folders it holds. Refuses anything but plain files and folders under relative paths.
    With ``top``, the archive must hold that one folder, and what is in it is unpacked into
    ``into`` itself (``into`` becomes that folder)."""
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = tar.getmembers()
            if len(members) > MAX_MEMBERS:
                raise ArchiveError(f"{name}: more than {MAX_MEMBERS:,} members")
            for member in members:
                path = Path(member.name)
                if (path.is_absolute() or ".." in path.parts or member.name.startswith("/")
                        or not (member.isfile() or member.isdir())):
                    raise ArchiveError(f"{name}: refused member {member.name!r} (only plain "
                                       "files and folders under relative paths)")
                total += member.size
                if total > MAX_UNPACKED_BYTES:
                    raise ArchiveError(f"{name}: unpacks to more than {MAX_UNPACKED_BYTES:,} bytes")
            parts = [Path(m.name).parts for m in members]
            tops = sorted({p[0] for p in parts if p})
            if top is not None:
                if tops != [top]:
                    raise ArchiveError(f"{name}: holds {tops}, not the one folder {top}/")
                if any(p == (top,) and not m.isdir() for p, m in zip(parts, members)):
                    raise ArchiveError(f"{name}: {top} is a file, not the folder {top}/")
                members = [m.replace(name=str(Path(*p[1:])), deep=False)
                           for p, m in zip(parts, members) if len(p) > 1]
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(f"{name}: not a readable tar.gz ({exc.__class__.__name__}: {exc})") from None
    return tops


def download(dest: Path | str | None = None, url: str | None = None, *,
             timeout: float = 120.0, retries: int = 4, log=print) -> list[Path]:
    """Download and unpack every archive ``SHA256SUMS`` lists at ``url`` (default: the
    repository's ``archive-base`` release) into ``dest`` (default: ``../shared/data``).
    Returns the archive folders now present there."""
    dest = Path(dest) if dest is not None else config.SHARED_DIR / "data"
    base = url or release_url()
    if not base.endswith("/"):
        base += "/"
    hosts = tuple(dict.fromkeys([(urlsplit(base).hostname or "").lower(), *GITHUB_HOSTS]))
    fetch = {"timeout": timeout, "retries": retries, "hosts": hosts}
    sums_url = base + "SHA256SUMS"
    try:
        text, _ = get(sums_url, limit=2**20, **fetch)
        sums = parse_sums(text.decode("utf-8", errors="replace"), sums_url)
        dest.mkdir(parents=True, exist_ok=True)
        present = []
        for name, digest in sums.items():
            folder = dest / name.removesuffix(".tar.gz")
            if folder.exists():
                log(f"{folder}: already there, left alone")
                present.append(folder)
                continue
            data, _ = get(base + name, limit=MAX_DOWNLOAD_BYTES, **fetch)
            actual = hashlib.sha256(data).hexdigest()
            if actual != digest:
                raise ArchiveError(f"{base + name}: SHA-256 {actual} is not the {digest} "
                                   "SHA256SUMS lists; nothing was kept")
            with files.atomic_folder(folder) as tmp:
                safe_unpack(data, name, tmp, top=folder.name)
            log(f"{folder}: unpacked from {base + name} (SHA-256 checked)")
            present.append(folder)
    except FetchError as exc:
        raise ArchiveError(str(exc)) from None
    return present


def missing_hint() -> str:
    """What to run when the default archives are missing."""
    return ("get them with `python -m ice287g get-archives` (downloads the release assets "
            "listed in data/README.md, 'Updating the data'), or pass --sheets DIR")


__all__ = ["ArchiveError", "download", "missing_hint", "parse_sums", "release_url", "safe_unpack"]
