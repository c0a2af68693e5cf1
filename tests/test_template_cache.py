"""A team's report template, compiled once, is kept for later runs (Jinja's bytecode cache in
the user's cache folder): the reports are the same with or without it."""

from __future__ import annotations

import os

from rca.outputs.postmortem import TEMPLATE

FIXTURE = "fixtures/chaos-fail/loki-query.json"


def _cache_dir(home: os.PathLike) -> str:
    return os.path.join(home, "rca", "templates")


def test_a_report_from_the_kept_compiled_template_is_the_same(rca, tmp_path):
    team = tmp_path / "ours.md.j2"
    team.write_text(TEMPLATE.read_text())
    first = rca("analyze", FIXTURE, "-f", "md", "--template", str(team), env={"XDG_CACHE_HOME": str(tmp_path)})
    assert first.code == 0, first.stderr
    assert [n for n in os.listdir(_cache_dir(tmp_path)) if n.startswith("__rca_")]
    again = rca("analyze", FIXTURE, "-f", "md", "--template", str(team), env={"XDG_CACHE_HOME": str(tmp_path)})
    assert again.code == 0 and again.stdout == first.stdout


def test_a_team_template_edited_between_runs_is_rendered_as_edited(rca, tmp_path):
    template = tmp_path / "ours.md.j2"
    outputs = []
    for word in ("before", "after!"):
        template.write_text(f"# {word} {{{{ title | md }}}}\n")
        run = rca("analyze", FIXTURE, "-f", "md", "--template", str(template), env={"XDG_CACHE_HOME": str(tmp_path)})
        assert run.code == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0].startswith("# before ") and outputs[1].startswith("# after! ")


def test_an_unusable_cache_folder_changes_nothing_in_the_report(rca, tmp_path):
    (tmp_path / "usual").mkdir()
    usual = rca("analyze", FIXTURE, "-f", "md", env={"XDG_CACHE_HOME": str(tmp_path / "usual")})
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    with open(os.path.join(blocked, "rca"), "w") as fh:  # a file where the cache folder would be
        fh.write("not a folder")
    run = rca("analyze", FIXTURE, "-f", "md", env={"XDG_CACHE_HOME": str(blocked)})
    assert run.code == 0, run.stderr
    assert run.stdout == usual.stdout and run.stderr == usual.stderr
