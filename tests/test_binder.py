"""Binder and local fidelity (slow): the notebooks run in environments made the reader's way.

- "binder": what mybinder.org does: a fresh venv on runtime.txt's Python with
  `pip install -r requirements.txt` and nothing else (the package comes from its `.` line,
  installed non-editable, as on Binder); every notebook in chapters/ is executed with nbclient
  inside that venv (its own kernel, not this test runner's), from chapters/ without ICE287G_ROOT.
- "local": the README's local instructions: `scripts/setup.sh` (a venv from the pinned files;
  the session's one, shared with tests/test_setup.py: tests/reader_envs.py), then
  `jupyter lab`: the server starts, lists every notebook and starts a kernel. The notebooks are
  not run a second time there: the pinned set is the one the book's build runs every notebook
  in (the built_book fixture, in the venv scripts/setup.sh made), and Binder's venv is the one
  readers get.

Both work on a copy of the repository as a clone has it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO
from reader_envs import run

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "chapters").glob("*.ipynb"))
RUN_NOTEBOOK = r"""
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

spec = KernelSpecManager().get_kernel_spec("python3")
# jupyter_client runs a spec's bare "python"/"python3" as sys.executable (this venv's python).
bare = {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}
if spec.argv[0] not in bare and Path(spec.argv[0]).resolve() != Path(sys.executable).resolve():
    sys.exit(f"the python3 kernel would run {spec.argv[0]}, not this venv's {sys.executable}")
path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
print(f"ran {path.name}: {sum(c.cell_type == 'code' for c in nb.cells)} code cells")
"""


@pytest.fixture
def local_env(setup_venv):
    """The README's local venv (scripts/setup.sh, the reader set): (clone, python, env)."""
    venv = setup_venv if setup_venv.stage in (None, "reader") else setup_venv.fresh()
    venv.reader_set()
    return venv.clone, venv.python, venv.env


def test_there_are_notebooks():
    assert NOTEBOOKS, "chapters/ has no notebooks"


def test_binder_installs_the_package_from_requirements_alone(binder_env):
    clone, py, env = binder_env
    run([str(py), "-m", "pip", "check"], env=env, cwd=clone)
    # Installed from the `.` line, not editable: the package lives in the venv, and still finds
    # the book's data from the notebooks' folder.
    out = run([str(py), "-c", "import ice287g, ice287g.config as c; print(ice287g.__file__); print(c.REPO_ROOT)"],
              env=env, cwd=clone / "chapters").stdout.splitlines()
    assert Path(out[0]).is_relative_to(py.parent.parent), f"ice287g imported from {out[0]}"
    assert Path(out[1]).resolve() == clone.resolve()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_on_binder(binder_env, notebook):
    clone, py, env = binder_env
    result = run([str(py), "-c", RUN_NOTEBOOK, str(clone / notebook)], env=env, cwd=clone / "chapters", timeout=900)
    assert result.stdout.startswith("ran "), result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()


def test_jupyter_lab_serves_the_notebooks_and_starts_a_kernel(local_env):
    """README: `.venv/bin/jupyter lab`, then open the notebooks in chapters/."""
    clone, py, env = local_env
    port, token = free_port(), "ice287g-test"
    server = subprocess.Popen(
        [str(py.parent / "jupyter"), "lab", "--no-browser", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={clone}"],
        # No --allow-root: as the README writes it, also as root (CI runs as root);
        # scripts/setup.sh's venv config allows it.
        cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = get(f"{base}/api/contents/chapters?token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"jupyter lab did not start:\n{server.stdout.read()[-4000:]}")
                time.sleep(1)
        listed = {item["path"] for item in json.loads(body)["content"]}
        assert set(NOTEBOOKS) <= listed, f"jupyter lab lists {sorted(listed)}"
        status, page = get(f"{base}/lab?token={token}")
        assert status == 200 and b"JupyterLab" in page
        status, body = get(f"{base}/api/kernels?token={token}", method="POST")
        kernel = json.loads(body)
        assert status == 201 and kernel["name"] == "python3", kernel
        get(f"{base}/api/kernels/{kernel['id']}?token={token}", method="DELETE")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
