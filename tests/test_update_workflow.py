"""The weekly update workflow (.github/workflows/update-data.yml) and the Pages workflow
(.github/workflows/pages.yml): their structure, their security properties (issue 20,
SECURITY.md), and the ``python -m ice287g`` commands the update runs (which
tests/test_update_e2e.py runs on a local server and data/README.md documents).

The workflows cannot run here (no GitHub); what they must guarantee is checked on their text
and, for the shell logic that decides what happens (exit codes, which releases are deleted),
by running the step's own script with stand-ins for ``python -m ice287g`` and ``gh``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "update-data.yml"
PAGES = REPO / ".github" / "workflows" / "pages.yml"
WORKFLOWS = (WORKFLOW, PAGES)
CLI = re.compile(r"^\s*\.venv/bin/python -m ice287g (fetch|build|diff) .*$", re.M)
CAPTURE = re.compile(r"^sheets_\d{8}_\d{6}$")


def workflow(path: Path = WORKFLOW) -> dict:
    return yaml.safe_load(path.read_text())


def jobs(path: Path = WORKFLOW) -> dict[str, dict]:
    return workflow(path)["jobs"]


def steps(job: str | None = None, path: Path = WORKFLOW) -> list[dict]:
    """The steps of one job, or of every job in order."""
    if job is not None:
        return jobs(path)[job]["steps"]
    return [s for j in jobs(path).values() for s in j["steps"]]


def step(name: str, path: Path = WORKFLOW) -> dict:
    (found,) = [s for s in steps(path=path) if s.get("name") == name]
    return found


def commands() -> dict[str, list[str]]:
    """The ice287g commands of the workflow, by subcommand, as argument lists."""
    found: dict[str, list[str]] = {}
    for s in steps():
        for m in CLI.finditer(s.get("run", "")):
            args = shlex.split(m.group(0).strip())
            # a trailing shell redirection is not part of the command
            if ">" in args:
                args = args[: args.index(">")]
            assert m.group(1) not in found, f"the workflow runs ice287g {m.group(1)} twice"
            found[m.group(1)] = args
    return found


def test_triggers_are_a_weekly_schedule_and_by_hand():
    on = workflow()[True] if True in workflow() else workflow()["on"]  # YAML 1.1 reads 'on' as True
    assert set(on) == {"schedule", "workflow_dispatch"}
    (cron,) = [s["cron"] for s in on["schedule"]]
    minute, hour, dom, month, dow = cron.split()
    assert dom == "*" and month == "*" and dow not in ("*",) and re.fullmatch(r"[0-6]", dow), cron


# --------------------------------------------------------------------------- least privilege
def test_permissions_are_granted_per_job_and_the_least_needed():
    """Nothing by default; each job gets only what its own steps need."""
    assert workflow()["permissions"] == {}
    assert {name: job.get("permissions") for name, job in jobs().items()} == {
        "releases": {"contents": "write"},
        "update": {"contents": "read"},
        "propose": {"contents": "write", "pull-requests": "write"},
    }
    assert workflow(PAGES)["permissions"] == {}
    assert {name: job.get("permissions") for name, job in jobs(PAGES).items()} == {
        "test": {"contents": "read"},
        "build": {"contents": "read"},
        "deploy": {"pages": "write", "id-token": "write"},
    }


#: The only steps given a token: they push, release, open the pull request, or (read-only)
#: download the archive releases before anything is fetched.
TOKEN_STEPS = {
    "Publish the drafts of merged captures, delete this workflow's unmerged drafts",
    "Restore the raw archives from the releases",
    "Keep the new capture as a draft release",
    "Open or refresh the pull request",
}
TOKEN = re.compile(r"github\.token|secrets\.|GITHUB_TOKEN|GH_TOKEN")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_token_is_only_in_the_steps_that_need_it(path):
    wf = workflow(path)
    assert not TOKEN.search(yaml.safe_dump(wf.get("env", {}))), "a workflow-wide token"
    for name, job in wf["jobs"].items():
        assert not TOKEN.search(yaml.safe_dump(job.get("env", {}))), f"a job-wide token in {name}"
        for s in job["steps"]:
            if TOKEN.search(yaml.safe_dump(s)):
                assert s["name"] in TOKEN_STEPS, f"{path.name}: {s['name']!r} gets a token"
                run = s.get("run", "")
                # never where third-party code or freshly fetched data runs
                for runs_code in (".venv/bin/python", "pip ", "setup.sh", "run-tests.sh",
                                  "build-book.sh"):
                    assert runs_code not in run, (s["name"], runs_code)
    if path == WORKFLOW:
        # the job that runs our code on fetched data has no write permission at all; the
        # job that writes runs no Python
        update = jobs()["update"]
        assert set(update["permissions"].values()) == {"read"}
        assert any("ice287g fetch" in s.get("run", "") for s in update["steps"])
        for s in jobs()["propose"]["steps"]:
            assert "setup-python" not in s.get("uses", "")
            assert not re.search(r"(^|[;&|(]\s*)(\S*/)?(python3?|pip3?|bash)\s", s.get("run", ""),
                                 re.M), s["name"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path):
    checkouts = [s for s in steps(path=path) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for s in checkouts:
        assert s.get("with", {}).get("persist-credentials") is False, s["name"]


#: Each action's pinned commit and the tag it was released as (the same in every workflow).
PINS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "actions/upload-pages-artifact": ("56afc609e74202658d3ffba0e8f6dda462b719fa", "v3.0.1"),
    "actions/deploy-pages": ("d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e", "v4.0.5"),
}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha_with_its_tag_in_a_comment(path):
    uses = [s["uses"] for s in steps(path=path) if "uses" in s]
    lines = [ln.strip() for ln in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", ln)]
    assert len(lines) == len(uses) > 0
    for line in lines:
        m = re.fullmatch(r"(- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+(\.\d+)*)", line)
        assert m, f"{path.name}: not pinned by a full SHA with its tag commented: {line}"
        action, sha, tag = m.group(2), m.group(3), m.group(4)
        assert PINS.get(action) == (sha, tag), f"{path.name}: {action}@{sha} # {tag}"


def test_no_value_is_pasted_into_a_script():
    """``${{ ... }}`` inside a ``run:`` script is pasted in before bash reads it (a value
    from an earlier step could inject commands): values reach scripts through env."""
    for path in WORKFLOWS:
        for s in steps(path=path):
            assert "${{" not in s.get("run", ""), (path.name, s["name"])


# --------------------------------------------------------------------------- running the shell logic
def run_step(s: dict, tmp_path: Path, *, fake_python_rc: int = 0, fake_stdout: str = "",
             gh: str | None = None, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run a step's script as GitHub runs it (``bash -e``), in ``tmp_path``, with
    ``.venv/bin/python`` a stand-in that prints ``fake_stdout`` and exits ``fake_python_rc``,
    and ``gh`` (when given) a stand-in script. Returns the result and $GITHUB_OUTPUT."""
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True, exist_ok=True)
    (venv / "python").write_text(f"#!/bin/sh\nprintf '%s' {shlex.quote(fake_stdout)}\n"
                                 f"exit {fake_python_rc}\n")
    (venv / "python").chmod(0o755)
    bindir = tmp_path / "fakebin"
    bindir.mkdir(exist_ok=True)
    if gh is not None:
        (bindir / "gh").write_text(gh)
        (bindir / "gh").chmod(0o755)
    out = tmp_path / "github_output"
    out.write_text("")
    script = tmp_path / "step.sh"
    script.write_text(s["run"])
    r = subprocess.run(["bash", "-e", str(script)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, env={"PATH": f"{bindir}:{os.environ['PATH']}",
                                        "GITHUB_OUTPUT": str(out), "HOME": str(tmp_path),
                                        "UPDATES": str(tmp_path / "updates"), **(env or {})})
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return r, outputs


@pytest.mark.parametrize("rc, ok, changed", [(0, True, "false"), (1, True, "true"),
                                              (2, False, None), (3, False, None), (127, False, None)])
def test_diff_exit_codes_other_than_0_and_1_fail_the_run(tmp_path, rc, ok, changed):
    r, outputs = run_step(step("Summarise what changed"), tmp_path, fake_python_rc=rc)
    assert (r.returncode == 0) is ok, (rc, r.returncode, r.stderr)
    assert outputs.get("changed") == changed


@pytest.mark.parametrize("rc, stdout, ok, new", [
    (0, "{updates}/sheets_20260518_061702\n", True, "true"),
    (3, "", True, "false"),
    (1, "", False, None),
    (2, "", False, None),
    (0, "{updates}/sheets_x; touch pwned\n", False, None),  # not a capture folder's name
])
def test_fetch_exit_codes_and_the_capture_name(tmp_path, rc, stdout, ok, new):
    stdout = stdout.format(updates=tmp_path / "updates")
    r, outputs = run_step(step("Fetch the sheets linked from ICE's page"), tmp_path,
                          fake_python_rc=rc, fake_stdout=stdout)
    assert (r.returncode == 0) is ok, (rc, r.returncode, r.stderr)
    assert outputs.get("new") == new
    if new == "true":
        assert outputs["capture"] == "sheets_20260518_061702"
    assert not (tmp_path / "pwned").exists()


FAKE_GH = """#!/bin/bash
echo "$*" >> "$GH_LOG"
case "$1 $2" in
  "release list") printf '%s\\n' {drafts} ;;
  "release view") echo true ;;
esac
"""


def test_the_clean_up_deletes_only_this_workflows_unmerged_capture_drafts(tmp_path):
    """Drafts: an unmerged capture (deleted), the merged one (published), and drafts that are
    not this workflow's (a maintainer's release notes, a look-alike tag): left alone."""
    drafts = ["sheets_20250101_000000", "sheets_20250519_024922", "v2.0.0", "archive-base",
              "sheets_notes", "sheets_20250101_000000-keep"]
    (tmp_path / "data" / "processed").mkdir(parents=True)
    (tmp_path / "data" / "processed" / "files.csv").write_text(
        "archive,path,sha256\n"
        "ice-287g-updates,sheets_20250519_024922/participatingAgencies05162025am.xlsx,ab\n"
        "ice-287g-sheets,sheets_20250519_024922/pendingAgencies05152025am.xlsx,cd\n")
    log = tmp_path / "gh.log"
    gh = FAKE_GH.format(drafts=" ".join(shlex.quote(d) for d in drafts))
    s = step("Publish the drafts of merged captures, delete this workflow's unmerged drafts")
    r, _ = run_step(s, tmp_path, gh=gh, env={"GH_LOG": str(log)})
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert [c for c in calls if c.startswith("release delete")] == [
        "release delete sheets_20250101_000000 --yes"]
    assert "release edit sheets_20250519_024922 --draft=false" in calls


def test_every_step_after_fetch_depends_on_new_sheets_and_a_real_change():
    update = steps("update")
    names = [s["name"] for s in update]
    i_fetch = next(i for i, s in enumerate(update) if s.get("id") == "fetch")
    i_diff = next(i for i, s in enumerate(update) if s.get("id") == "diff")
    assert i_fetch < i_diff
    for i, s in enumerate(update[i_fetch + 1:], start=i_fetch + 1):
        cond = s.get("if", "")
        if i <= i_diff:  # build and diff: only when fetch saved new sheets
            assert cond == "steps.fetch.outputs.new == 'true'", s["name"]
        else:
            assert cond == "steps.diff.outputs.changed == 'true'", s["name"]
    # fetch exit 3 = nothing new; diff --exit-code 0 = no change: both end the run quietly
    fetch_run = update[i_fetch]["run"]
    assert '"$rc" = 3' in fetch_run and "new=false" in fetch_run
    diff_run = update[i_diff]["run"]
    assert '"$rc" = 0' in diff_run and "changed=false" in diff_run
    # tests run before anything leaves the runner; the propose job only after a change
    i_tests = names.index("Put the rebuilt data in place and run the tests")
    assert i_diff < i_tests < names.index("Upload the update")
    assert "bash scripts/run-tests.sh" in update[i_tests]["run"]
    assert jobs()["update"]["needs"] == "releases" and jobs()["propose"]["needs"] == "update"
    assert jobs()["propose"]["if"] == "needs.update.outputs.changed == 'true'"
    assert jobs()["update"]["outputs"]["changed"] == "${{ steps.diff.outputs.changed }}"
    names = [s["name"] for s in steps("propose")]
    assert names.index("Keep the new capture as a draft release") < \
        names.index("Open or refresh the pull request")


def test_nothing_is_pushed_to_main():
    text = WORKFLOW.read_text()
    pushes = re.findall(r"git push[^\n]*", text)
    assert pushes == ["git push --force origin update-data"], pushes
    assert "gh pr create --base main --head update-data" in text
    assert "gh pr merge" not in text and "--admin" not in text


def test_the_pull_request_body_is_the_escaped_diff_summary_and_nothing_untrusted():
    """The body is diff's Markdown (ICE's text escaped by ice287g.diff.md_escape, tested in
    tests/test_diff.py) plus fixed lines and the capture name, checked against
    sheets_YYYYMMDD_HHMMSS before use."""
    pr = step("Open or refresh the pull request")["run"]
    assert "cat /tmp/update/diff.md" in pr and "--body-file /tmp/pr-body.md" in pr
    body = pr[pr.index("{"):pr.index("} > /tmp/pr-body.md")]
    assert re.findall(r"\$\w+|\$\{\w+\}", body) == ["$CAPTURE"]
    assert re.findall(r"cat \S+", body) == ["cat /tmp/update/diff.md"]
    put = step("Put the update in place")["run"]
    assert put.index("[[ \"$CAPTURE\" =~ ^sheets_[0-9]{8}_[0-9]{6}$ ]]") < put.index("cp ")
    i = commands()["diff"].index("--output")
    assert commands()["diff"][i + 1] == "/tmp/diff.md"
    hand = step("Hand the update to the propose job")["run"]
    assert "/tmp/diff.md /tmp/update/" in hand


def test_the_commands_fetch_build_and_diff():
    c = commands()
    assert set(c) == {"fetch", "build", "diff"}
    assert c["fetch"][4:] == ["--dest", "$UPDATES", "--known", "data/processed/files.csv",
                              "--record", "data/update-checks.csv"]
    assert c["build"][4:] == ["--sheets", "../shared/data/ice-287g-sheets",
                              "--sheets", "../shared/data/ice-287g-history",
                              "--sheets", "../shared/data/ice-287g-updates",
                              "--out", "/tmp/processed-new", "--no-cache"]
    assert c["diff"][4:] == ["data/processed", "/tmp/processed-new", "--output", "/tmp/diff.md",
                             "--exit-code"]
    env = workflow()["env"]
    assert env["UPDATES"] == "../shared/data/ice-287g-updates"


def test_raw_sheets_are_kept_as_release_assets_not_committed():
    text = WORKFLOW.read_text()
    add = re.findall(r"git add [^\n]*", text)
    assert add == ["git add data/processed data/update-checks.csv"], add
    assert 'gh release create "$CAPTURE" /tmp/update/capture/*.xlsx /tmp/SHA256SUMS --draft' in text
    assert "gh release download archive-base" in text and "sha256sum -c SHA256SUMS" in text


def test_data_readme_documents_the_same_commands():
    card = (REPO / "data" / "README.md").read_text()
    for args in commands().values():
        line = " ".join(args).replace(".venv/bin/python", "python")
        assert line in card.replace(".venv/bin/python", "python"), f"data/README.md lacks: {line}"
    assert "Reviewing an anomaly" in card


# --------------------------------------------------------------------------- SECURITY.md
def test_security_md_states_the_limits_the_code_enforces_and_the_readme_links_it():
    from ice287g import fetch
    from ice287g.pipeline import thresholds as th

    text = " ".join((REPO / "SECURITY.md").read_text(encoding="utf-8").split())
    assert "(SECURITY.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    for host in fetch.ICE_HOSTS:
        assert f"`{host}`" in text
    stated = [
        f"At most {fetch.MAX_SHEETS} sheet links per page",
        f"at most {fetch.MAX_REDIRECTS} redirects",
        f"(`--timeout`, {fetch.TIMEOUT:g} s by default)",
        f"The page may be at most {fetch.MAX_PAGE_BYTES // 2**20} MiB and a workbook at most "
        f"{fetch.MAX_BYTES // 2**20} MiB",
        f"at most {th.WORKBOOK_MAX_BYTES // 2**20} MiB on disk, "
        f"{th.WORKBOOK_MAX_ENTRIES:,} zip entries and {th.WORKBOOK_MAX_UNCOMPRESSED // 2**20} MiB "
        f"uncompressed, and at most {th.WORKBOOK_MAX_RATIO}:1 compression",
        "no ICE stamp later than the day after the download",
    ]
    for claim in stated:
        assert claim.lower() in text.lower(), claim
    assert th.STAMP_AFTER_CAPTURE_DAYS == 1
    # every file and function it names exists
    for path in re.findall(r"`((?:ice287g|tests|\.github)/[\w./-]+)`", text):
        assert (REPO / path).exists(), path
    for dotted in re.findall(r"`(ice287g(?:\.\w+)+)`", text):
        module, _, name = dotted.rpartition(".")
        import importlib

        assert hasattr(importlib.import_module(module), name), dotted
