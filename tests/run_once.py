"""Long session resources made once per run, shared by every pytest process of it, started early.

The book's build, the hostile book and the fresh venvs take minutes each. scripts/run-tests.sh
runs the suite on both cores (pytest-xdist), and each worker would otherwise make its own.
Here the first process of the run that needs a resource claims it (an atomic ``mkdir`` in the
run's shared temporary folder), makes it in a background thread and writes the outcome to a
file that every process of the run reads. Collection starts them (tests/conftest.py's
``pytest_collection_finish``: only what the selected tests need), so they are made while the
tests that need none of them run (those are ordered first); a fixture that needs one waits.

Progress lines (``[setup] ...``) go straight to the terminal's stderr, from xdist's workers
too (pytest-xdist shows nothing a worker prints), and from the background threads.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

#: "gw0", "gw1", ... in a pytest-xdist worker; "" in a plain pytest process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
#: A resource not made after this long is an error (a crashed worker left its claim behind).
GIVE_UP_S = 3600


@dataclass
class Resource:
    name: str
    title: str  #: what the progress lines call it
    make: Callable[[Path], object]  #: make(folder) -> a JSON value (a path as text, a dict)
    fixtures: frozenset  #: a test using any of these fixtures needs it
    reuse_env: str | None = None  #: an environment variable that names a made one instead


_resources: dict[str, Resource] = {}
_threads: dict[str, threading.Thread | None] = {}
_state: dict = {"config": None, "err": None}
_say_lock = threading.Lock()


def register(name: str, title: str, make: Callable[[Path], object], fixtures,
             reuse_env: str | None = None) -> None:
    _resources[name] = Resource(name, title, make, frozenset(fixtures), reuse_env)


def configure(config) -> None:
    """Called from pytest_configure: keep the config and a copy of the terminal's stderr
    (pytest's fd capture swaps fd 2 for a file while a test runs; it saves the original)."""
    _state["config"] = config
    capman = config.pluginmanager.get_plugin("capturemanager")
    try:
        fd = capman._global_capturing.err.targetfd_save
    except AttributeError:  # -s, or --capture=sys: fd 2 is the terminal's
        fd = 2
    _state["err"] = os.dup(fd)


def say(text: str) -> None:
    """One progress line on the terminal now (``[setup gw0] ...`` from a worker)."""
    fd = _state["err"]
    if fd is None:
        return
    line = f"[setup{' ' + WORKER if WORKER else ''}] {text}\n".encode("utf-8", "replace")
    with _say_lock:
        try:
            os.write(fd, line)
        except OSError:
            pass


def run_dir() -> Path:
    """This run's folder shared by its processes: pytest's base temporary folder, or under
    xdist the controller's one, which holds each worker's (``.../pytest-N/popen-gw0``)."""
    base = _state["config"]._tmp_path_factory.getbasetemp()
    folder = (base.parent if WORKER else base) / "run-once"
    folder.mkdir(exist_ok=True)
    return folder


def needed(items) -> list[str]:
    """The resources the tests ``items`` need (none that an environment variable reuses)."""
    found = []
    for res in _resources.values():
        if res.reuse_env and os.environ.get(res.reuse_env):
            continue
        if any(res.fixtures & set(getattr(item, "fixturenames", ())) for item in items):
            found.append(res.name)
    return found


def start(name: str) -> None:
    """Start making ``name`` in the background, unless a process of this run already has."""
    if name in _threads:
        return
    folder = run_dir()
    try:
        (folder / f"{name}.claimed").mkdir()
    except FileExistsError:
        _threads[name] = None  # another process of the run makes it
        return
    thread = threading.Thread(target=_make, args=(_resources[name], folder), daemon=True,
                              name=f"run-once-{name}")
    _threads[name] = thread
    thread.start()


def _make(res: Resource, folder: Path) -> None:
    began = time.monotonic()
    say(f"{res.title} ...")
    try:
        dest = folder / res.name
        dest.mkdir(exist_ok=True)
        result = {"ok": True, "value": res.make(dest)}
        say(f"{res.title}: done in {time.monotonic() - began:.0f} s")
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the tests
        detail = str(exc) if isinstance(exc, AssertionError) else traceback.format_exc()
        result = {"ok": False, "error": f"{res.title} failed:\n{detail[-12000:]}"}
        say(f"{res.title}: FAILED after {time.monotonic() - began:.0f} s")
    tmp = folder / f"{res.name}.json.part"
    tmp.write_text(json.dumps(result))
    tmp.rename(folder / f"{res.name}.json")


def get(name: str):
    """The made resource (what its ``make`` returned), waiting for it; a failure fails the
    test that asked, with the maker's message."""
    res = _resources[name]
    start(name)
    out = run_dir() / f"{name}.json"
    thread = _threads.get(name)
    began = last = time.monotonic()
    while not out.exists():
        if thread is not None:
            thread.join(timeout=1)
        else:
            time.sleep(1)
        now = time.monotonic()
        if now - last >= 60:
            say(f"waiting for {res.title} ({now - began:.0f} s so far)")
            last = now
        if now - began > GIVE_UP_S:
            pytest.fail(f"{res.title}: not made after {GIVE_UP_S} s (a worker died?)")
    result = json.loads(out.read_text())
    if not result["ok"]:
        pytest.fail(result["error"], pytrace=False)
    return result["value"]


def finish(session) -> None:
    """At the end of this process's session: let what it is making finish (another worker
    may be waiting for it), unless the run is stopping early."""
    if session.shouldstop or session.shouldfail:
        return
    for thread in _threads.values():
        if thread is not None:
            thread.join()
