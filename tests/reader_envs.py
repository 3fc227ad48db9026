"""Environments made the reader's way, on copies of the repository as a clone has it.

- :func:`setup_venv` (session): the README's local environment, made by ``scripts/setup.sh``
  and taken through the README's stages in order: the reader set (``setup.sh``, then
  ``jupyter lab``: tests/test_binder.py), then the test set (``setup.sh --dev``: the real
  install sequence of tests/test_setup.py). One venv for both files, made once per run.
- :func:`binder_env` (session): the Binder-like venv (``requirements.txt`` alone) that
  tests/test_binder.py runs every notebook in.

Both are made once per run for every pytest process of it, in the background from collection
on (tests/run_once.py: their pip installs overlap the tests that need neither); the reader
set's stage is made there, the test set's by the tests that ask for it (one xdist worker:
tests/conftest.py groups them). The fixtures are imported by tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import run_once
from conftest import REPO, progress, repo_files


def runtime_python() -> str:
    """The interpreter runtime.txt names (python-3.11), as Binder would use."""
    wanted = (REPO / "runtime.txt").read_text().strip().removeprefix("python-")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == wanted:
        return sys.executable
    found = shutil.which(f"python{wanted}")
    if not found:
        pytest.fail(f"runtime.txt asks for Python {wanted}, which is not installed here")
    return found


def clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"ICE287G_ROOT", "ICE287G_BUILT_HTML", "PYTHONPATH", "VIRTUAL_ENV",
                        "PYTHONHOME", "VENV"}}
    # Kernel specs from this machine's user folders must not leak into the venv under test.
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "jupyter-runtime")
    env["IPYTHONDIR"] = str(tmp / "ipython")
    env["MPLCONFIGDIR"] = str(tmp / "mpl")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def copy_clone(dest: Path) -> Path:
    for src in repo_files():
        target = dest / src.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def run(cmd, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


def installed(py: Path, env: dict[str, str]) -> dict[str, str]:
    """Distribution name (lower case) -> version, as the venv's python sees them."""
    code = ("import json, importlib.metadata as m; "
            "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))")
    return json.loads(run([str(py), "-c", code], env=env).stdout)


class SetupVenv:
    """A copy of the repository whose ``.venv`` is made by ``scripts/setup.sh`` (the README's
    local instructions), advanced through the README's stages only forwards:
    :meth:`reader_set` (``setup.sh``), then :meth:`test_set` (``setup.sh --dev``)."""

    def __init__(self, tmp: Path, config, copy: bool = True):
        self.tmp, self.config = tmp, config
        self.clone = copy_clone(tmp / "repo") if copy else tmp / "repo"
        self.venv = self.clone / ".venv"
        self.python = self.venv / "bin" / "python"
        self.env = clean_env(tmp)
        self.env["PYTHON"] = runtime_python()
        self.stage = None
        #: What each stage's setup.sh printed, and what the venv held after it.
        self.printed: dict[str, str] = {}
        self.packages: dict[str, dict[str, str]] = {}

    STATE = "setup-venv.json"

    def save(self) -> None:
        """Write the stage reached (and what each stage printed and installed) beside the
        copy, for the other pytest processes of the run (:meth:`load`)."""
        (self.tmp / self.STATE).write_text(json.dumps(
            {"stage": self.stage, "printed": self.printed, "packages": self.packages}))

    @classmethod
    def load(cls, tmp: Path, config) -> "SetupVenv":
        found = cls(tmp, config, copy=False)
        state = json.loads((tmp / cls.STATE).read_text())
        found.stage, found.printed, found.packages = state["stage"], state["printed"], state["packages"]
        return found

    def setup(self, *args: str, pip_blocked: bool = False) -> str:
        """Run ``scripts/setup.sh ARGS`` in the copy; its output. With ``pip_blocked`` any
        ``python -m pip`` fails (and is logged in ``pip.log``): a call that must install nothing."""
        env = dict(self.env)
        if pip_blocked:
            # `python -m pip` would run this stand-in (PYTHONPATH comes before site-packages).
            shim = self.tmp / "shim" / "pip"
            shim.mkdir(parents=True, exist_ok=True)
            (shim / "__main__.py").write_text(
                f"import sys\nopen({str(self.tmp / 'pip.log')!r}, 'a').write(' '.join(sys.argv) + '\\n')\n"
                "sys.exit(3)\n")
            (shim / "__init__.py").write_text("")
            env["PYTHONPATH"] = str(shim.parent)
        result = subprocess.run(["bash", "scripts/setup.sh", *args], cwd=self.clone, env=env,
                                capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, (f"setup.sh {' '.join(args)} failed:\n"
                                        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def _advance(self, stage: str, *args: str) -> None:
        command = " ".join(["scripts/setup.sh", *args])
        progress(self.config, f"{command} on a fresh copy: the {stage} set (a real install, "
                 "a few minutes) ...")
        self.printed[stage] = self.setup(*args)
        self.packages[stage] = installed(self.python, self.env)
        self.stage = stage
        self.save()
        progress(self.config, f"the {stage} set is installed ({len(self.packages[stage])} packages)")

    def reader_set(self) -> "SetupVenv":
        """The venv after ``setup.sh`` (what a reader installs)."""
        if self.stage is None:
            self._advance("reader")
        assert self.stage == "reader", "the shared setup.sh venv holds the test set already"
        return self

    def test_set(self) -> "SetupVenv":
        """The venv after ``setup.sh`` and then ``setup.sh --dev`` (what a developer runs)."""
        if self.stage is None:
            self._advance("reader")
        if self.stage == "reader":
            self._advance("test", "--dev")
        return self


def make_setup_venv(dest: Path) -> str:
    """A fresh copy with its reader set made by ``setup.sh`` (the first stage of :class:`SetupVenv`)."""
    SetupVenv(dest, None).reader_set()
    return str(dest)


def make_binder_venv(dest: Path) -> dict[str, str]:
    """What mybinder.org does: a fresh venv on runtime.txt's Python and
    ``pip install -r requirements.txt``, nothing else, on a copy as a clone has it."""
    clone = copy_clone(dest / "repo")
    venv = dest / "venv"
    env = clean_env(dest)
    run([runtime_python(), "-m", "venv", str(venv)], env=env)
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], env=env, cwd=clone)
    run([str(py), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"], env=env, cwd=clone)
    return {"tmp": str(dest), "clone": str(clone), "python": str(py)}


run_once.register("setup-venv", "scripts/setup.sh on a fresh copy: the reader set (a real "
                  "install, in the background)", make_setup_venv, {"setup_venv"})
run_once.register("binder-venv", "a Binder-like venv: pip install -r requirements.txt on a "
                  "fresh copy (in the background)", make_binder_venv, {"binder_env"})


@pytest.fixture(scope="session")
def setup_venv(tmp_path_factory, request) -> SetupVenv:
    """The run's one ``scripts/setup.sh`` venv (see :class:`SetupVenv`), its reader set made
    in the background. Tests that need the reader set run first in file order
    (tests/test_binder.py before tests/test_setup.py, on one worker); one that asks for it
    after the test set was installed calls ``.fresh()`` for a venv of its own.
    (Left in pytest's temporary folder, which keeps the last three runs: deleting 850 MB of
    small files took over two minutes on the loaded 2-core machine.)"""
    shared = SetupVenv.load(Path(run_once.get("setup-venv")), request.config)
    shared.fresh = lambda: SetupVenv(tmp_path_factory.mktemp("setup-venv"), request.config)
    return shared


@pytest.fixture(scope="session")
def binder_env() -> tuple[Path, Path, dict[str, str]]:
    """The run's one Binder-like venv (:func:`make_binder_venv`): (clone, python, env)."""
    made = run_once.get("binder-venv")
    return Path(made["clone"]), Path(made["python"]), clean_env(Path(made["tmp"]))
