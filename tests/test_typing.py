"""engine/ type-checks clean under ``mypy --strict``, and workflows/ under mypy's defaults, with
every function of every module annotated and checked (the configuration is in pyproject.toml)."""

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_type_checks_strictly(monkeypatch):
    monkeypatch.chdir(ROOT)  # mypy reads its configuration from pyproject.toml here
    # the engine alone leaves the sections for workflows/ unused; the run over workflows/
    # (which imports the engine) still warns of a section that matches nothing
    out, err, status = api.run(["--strict", "--no-incremental", "--no-warn-unused-configs",
                                "--config-file", str(ROOT / "pyproject.toml"), "engine"])
    assert status == 0, out + err
    assert out.startswith("Success: no issues found"), out


def test_workflows_type_check(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, err, status = api.run(["--no-incremental", "--config-file", str(ROOT / "pyproject.toml"),
                                "workflows"])
    assert status == 0, out + err
    assert out.startswith("Success: no issues found"), out
