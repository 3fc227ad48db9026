"""scripts/setup.sh and the package's own install (issue 16).

- The README's two commands share one environment: the build (reader set) and the tests (test
  set) must not undo each other, so build -> test -> build installs twice and then nothing.
  Checked quickly with a stand-in venv whose `python` only records how it was called, and
  (slow) for real on a copy of the repository with a fresh venv (the session's one setup.sh
  venv, shared with tests/test_binder.py: tests/reader_envs.py), where pip is made impossible
  to run before the calls that must not install.
- Installing the package prints no packaging warning (slow: a fresh venv, pip builds the wheel
  with the pinned setuptools) and carries every module and data file of ice287g/.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, repo_files
from reader_envs import installed

SETUP = ["bash", "scripts/setup.sh"]


def copy_repo(dest: Path) -> Path:
    for src in repo_files():
        target = dest / src.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())
    return dest


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


# --- fast: the stamp logic, with a stand-in venv -----------------------------------------------

@pytest.fixture
def fake(tmp_path):
    """A repository copy whose VENV's python and whose npm only log their arguments."""
    repo = tmp_path / "repo"
    for name in ["scripts/setup.sh", "scripts/install-chromium.sh", "requirements.txt",
                 "requirements-dev.txt", "constraints.txt", "pyproject.toml", "package-lock.json"]:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes((REPO / name).read_bytes())
    log = tmp_path / "calls.log"
    venv = tmp_path / "venv"
    executable(venv / "bin" / "python", f'#!/bin/sh\necho "python $*" >> {log}\n')
    bindir = tmp_path / "bin"
    executable(bindir / "npm", f'#!/bin/sh\necho "npm $*" >> {log}\nmkdir -p node_modules\n')
    env = base_env(tmp_path)
    env.update(VENV=str(venv), PYTHON=sys.executable, PATH=f"{bindir}:{env['PATH']}")

    def run(*args: str, check: bool = True, **extra: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        log.write_text("")
        result = subprocess.run(SETUP + list(args), cwd=repo, env={**env, **extra},
                                capture_output=True, text=True)
        if check:
            assert result.returncode == 0, f"setup.sh {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result, log.read_text().splitlines()

    return repo, run


def pip_installs(calls: list[str]) -> list[str]:
    """The `-r FILE` / `-e .` targets of the pip install commands in a call log."""
    found = []
    for call in calls:
        if call.startswith("python -m pip install"):
            match = re.search(r"-r (\S+)|-e (\S+)|--upgrade pip", call)
            assert match, f"unexpected pip call {call!r}"
            found.append(match.group(1) or (f"-e {match.group(2)}" if match.group(2) else "pip"))
    return found


def test_build_test_build_installs_each_set_once(fake):
    repo, run = fake
    out, calls = run()                       # build: the reader set
    assert "installing the reader set" in out.stdout
    assert pip_installs(calls) == ["pip", "requirements.txt", "-e ."]
    out, calls = run("--dev")                # tests: the test set, and axe-core from npm
    assert "installing the test set" in out.stdout
    assert pip_installs(calls) == ["pip", "requirements-dev.txt", "-e ."]
    assert [c for c in calls if c.startswith("npm")] == ["npm ci --no-audit --no-fund --silent"]
    out, calls = run()                       # build again: nothing to do, the test set is kept
    assert "environment up to date (test set" in out.stdout
    assert calls == []
    out, calls = run("--dev")                # tests again: nothing either (pip nor npm)
    assert "environment up to date (test set" in out.stdout
    assert "node_modules up to date" in out.stdout
    assert calls == []


def test_changed_pins_reinstall_the_set_the_environment_holds(fake):
    repo, run = fake
    run("--dev")
    with (repo / "constraints.txt").open("a") as fh:
        fh.write("# a changed pin\n")
    out, calls = run()                       # a build after a pin change: the test set again
    assert "installing the test set" in out.stdout
    assert pip_installs(calls) == ["pip", "requirements-dev.txt", "-e ."]
    out, calls = run()
    assert calls == [] and "environment up to date" in out.stdout


def test_failed_install_is_retried(fake, tmp_path):
    repo, run = fake
    venv = tmp_path / "venv"
    real = (venv / "bin" / "python").read_text()
    executable(venv / "bin" / "python", "#!/bin/sh\nexit 1\n")
    out, _ = run(check=False)
    assert out.returncode != 0
    executable(venv / "bin" / "python", real)
    out, calls = run()
    assert "installing the reader set" in out.stdout and "requirements.txt" in pip_installs(calls)


@pytest.mark.parametrize("version, ok, says", [
    ("3.11", True, None),
    ("3.13", True, "warning: .* is Python 3.13; the book is tested on 3.11 only"),
    ("3.10", False, "is Python 3.10; Python 3.11 is required"),
])
def test_python_versions(fake, tmp_path, version, ok, says):
    repo, run = fake
    py = executable(tmp_path / f"python{version}",
                    f'#!/bin/sh\ncase "$1" in -c) echo {version} ;; *) exit 9 ;; esac\n')
    out, calls = run(check=False, PYTHON=str(py))
    assert (out.returncode == 0) is ok, out.stderr
    if says:
        assert re.search(says, out.stderr), out.stderr
    else:
        assert "warning" not in out.stderr
    if not ok:
        assert calls == [], "setup.sh installed with an unsupported Python"


def test_unknown_option_is_refused(fake):
    repo, run = fake
    out, calls = run("--devv", check=False)
    assert out.returncode == 2 and "unknown option --devv" in out.stderr and calls == []


# --- slow: for real ----------------------------------------------------------------------------

@pytest.mark.slow
def test_real_build_test_build_installs_nothing_the_second_time(setup_venv):
    """On the session's one setup.sh venv (tests/reader_envs.py; tests/test_binder.py starts
    jupyter lab from its reader set first): setup.sh, then setup.sh --dev, then both again
    with pip made impossible to run."""
    venv = setup_venv.test_set()
    assert "installing the reader set" in venv.printed["reader"]
    reader = venv.packages["reader"]
    assert "jupyter-book" in reader and "pytest" not in reader
    assert "installing the test set" in venv.printed["test"]
    tests = venv.packages["test"]
    assert {"pytest", "playwright", "frictionless"} <= tests.keys()

    assert "environment up to date (test set" in venv.setup(pip_blocked=True)
    assert "environment up to date (test set" in venv.setup("--dev", pip_blocked=True)
    pip_log = venv.tmp / "pip.log"
    assert not pip_log.exists(), f"pip ran: {pip_log.read_text()}"
    assert installed(venv.python, venv.env) == tests, "a later setup.sh changed the installed packages"


#: What setuptools prints through pip (pip's own notices about this machine's index
#: configuration are not the package's to fix).
PACKAGING_WARNING = re.compile(r"BuildBackendWarning|Setuptools\w*Warning|DeprecationWarning|"
                               r"is absent from the .packages. configuration|Editable installation")


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_fresh_install_prints_no_packaging_warning(tmp_path, editable):
    repo = copy_repo(tmp_path / "repo")
    venv = tmp_path / "venv"
    env = base_env(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The pip setup.sh installs with (a venv's bundled pip hides the build backend's warnings).
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                   env=env, check=True, capture_output=True)
    cmd = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-cache-dir"]
    cmd += ["-e", "."] if editable else ["."]
    result = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-4000:]
    warnings = [line for line in text.splitlines() if PACKAGING_WARNING.search(line)]
    assert not warnings, "installing the package printed:\n" + "\n".join(warnings)
    if editable:
        return
    # The wheel carries every module and data file of the package folder as the repository has it.
    code = ("import importlib.metadata as m; print('\\n'.join(str(f) for f in m.files('ice287g')))")
    files = set(subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=env,
                               capture_output=True, text=True, check=True).stdout.split())
    wanted = {p.relative_to(repo).as_posix() for p in (repo / "ice287g").rglob("*")
              if p.suffix in {".py", ".mplstyle", ".csv"} and "__pycache__" not in p.parts}
    assert wanted, "ice287g/ has no files"
    assert wanted <= files, f"missing from the wheel: {sorted(wanted - files)}"
    assert any(f.endswith("licenses/LICENSE") for f in files), "the wheel carries no LICENSE"
