"""The weekly update workflow (.github/workflows/update-data.yml): its structure, and the
``python -m ice287g`` commands it runs (which tests/test_update_e2e.py runs on a local server
and data/README.md documents).

The workflow cannot run here (no GitHub); what it must guarantee is checked on its text:
triggers, permissions, no push to main, no pull request without a change.
"""

from __future__ import annotations

import re
import shlex

import yaml

from conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "update-data.yml"
CLI = re.compile(r"^\s*\.venv/bin/python -m ice287g (fetch|build|diff) .*$", re.M)


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict]:
    (job,) = workflow()["jobs"].values()
    return job["steps"]


def commands() -> dict[str, list[str]]:
    """The ice287g commands of the workflow, by subcommand, as argument lists."""
    found: dict[str, list[str]] = {}
    for step in steps():
        for m in CLI.finditer(step.get("run", "")):
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


def test_permissions_are_the_least_needed():
    assert workflow()["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_nothing_is_pushed_to_main():
    text = WORKFLOW.read_text()
    pushes = re.findall(r"git push[^\n]*", text)
    assert pushes == ["git push --force origin update-data"], pushes
    assert "gh pr create --base main --head update-data" in text
    assert "gh pr merge" not in text and "--admin" not in text


def test_every_step_after_fetch_depends_on_new_sheets_and_a_real_change():
    names = [s["name"] for s in steps()]
    i_fetch = next(i for i, s in enumerate(steps()) if s.get("id") == "fetch")
    i_diff = next(i for i, s in enumerate(steps()) if s.get("id") == "diff")
    assert i_fetch < i_diff
    for i, step in enumerate(steps()[i_fetch + 1:], start=i_fetch + 1):
        cond = step.get("if", "")
        if i <= i_diff:  # build and diff: only when fetch saved new sheets
            assert cond == "steps.fetch.outputs.new == 'true'", step["name"]
        else:
            assert cond == "steps.diff.outputs.changed == 'true'", step["name"]
    # fetch exit 3 = nothing new; diff --exit-code 0 = no change: both end the run quietly
    fetch_run = steps()[i_fetch]["run"]
    assert '"$rc" = 3' in fetch_run and "new=false" in fetch_run
    diff_run = steps()[i_diff]["run"]
    assert '"$rc" = 0' in diff_run and "changed=false" in diff_run
    # tests run before anything leaves the runner
    i_tests = names.index("Put the rebuilt data in place and run the tests")
    i_release = names.index("Keep the new capture as a draft release")
    i_pr = names.index("Open or refresh the pull request")
    assert i_diff < i_tests < i_release < i_pr
    assert "bash scripts/run-tests.sh" in steps()[i_tests]["run"]


def test_the_pull_request_body_is_the_diff_summary():
    pr = next(s for s in steps() if s["name"] == "Open or refresh the pull request")["run"]
    assert "cat /tmp/diff.md" in pr and "--body-file /tmp/pr-body.md" in pr
    i = commands()["diff"].index("--output")
    assert commands()["diff"][i + 1] == "/tmp/diff.md"


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
    assert "gh release create \"$capture\" \"$UPDATES/$capture\"/*.xlsx /tmp/SHA256SUMS --draft" in text
    assert "gh release download archive-base" in text and "sha256sum -c SHA256SUMS" in text


def test_data_readme_documents_the_same_commands():
    card = (REPO / "data" / "README.md").read_text()
    for args in commands().values():
        line = " ".join(args).replace(".venv/bin/python", "python")
        assert line in card.replace(".venv/bin/python", "python"), f"data/README.md lacks: {line}"
    assert "Reviewing an anomaly" in card
