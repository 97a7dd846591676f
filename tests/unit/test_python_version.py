"""One Python version, 3.13, from Lambda's runtime to the tests, and the Makefile finding it by itself
(README, "Two commands"): PYTHON if given, else a python3.13 on PATH that really runs 3.13, else
pyenv's newest 3.13; with none, make stops in one line.

Each case runs make with a PATH of its own (a few tools and the interpreters the case lays out), so
what this machine has installed does not matter. A "3.13" here is a link to the interpreter running
the tests (which is 3.13); a pyenv shim that fails is a script that exits 127, as pyenv's does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from local.template import load_template, resources_of_type

REPO = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make") or "make"
PRINT_PYTHON = ["--eval", "print-python: ; @echo $(PYTHON)", "print-python"]
REAL_PYTHON = getattr(sys, "_base_executable", sys.executable)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A HOME with no pyenv, and a tools folder holding only what the Makefile's search runs."""
    (tmp_path / "home").mkdir()
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("ls", "sort", "grep", "awk"):  # the search, and make help
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    return tmp_path


def python_313(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(REAL_PYTHON)
    return path


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{text}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def failing_shim(path: Path) -> Path:
    return script(path, 'echo "pyenv: python3.13: command not found" >&2\nexit 127')


def run_make(machine: Path, *path_dirs: Path, arguments: list[str] = PRINT_PYTHON, **variables: str) -> str:
    environment = {
        "HOME": str(machine / "home"),
        "PATH": os.pathsep.join([*map(str, path_dirs), str(machine / "tools")]),
        **variables,
    }
    result = subprocess.run(
        [MAKE, "--no-print-directory", "-s", "-C", str(REPO), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return "FAILED: " + result.stderr
    return result.stdout.strip()


def test_a_python313_on_path_is_taken_before_pyenvs(machine: Path) -> None:
    on_path = python_313(machine / "bin" / "python3.13")
    python_313(machine / "home" / ".pyenv" / "versions" / "3.13.1" / "bin" / "python3.13")
    assert run_make(machine, machine / "bin") == str(on_path)


def test_a_pyenv_shim_that_fails_is_passed_over_for_pyenvs_newest_313_without_pyenv_on_path(machine: Path) -> None:
    # Given pyenv's shim first on PATH (3.13 not selected), pyenv itself not on PATH, two 3.13s in its default root
    failing_shim(machine / "shims" / "python3.13")
    versions = machine / "home" / ".pyenv" / "versions"
    python_313(versions / "3.13.2" / "bin" / "python3.13")
    newest = python_313(versions / "3.13.10" / "bin" / "python3.13")

    # Then the Makefile takes the newest 3.13 (3.13.10 sorts before 3.13.2 as text)
    assert run_make(machine, machine / "shims") == str(newest)


def test_pyenv_root_is_where_pyenv_root_says(machine: Path) -> None:
    failing_shim(machine / "shims" / "python3.13")
    elsewhere = python_313(machine / "pyenv" / "versions" / "3.13.4" / "bin" / "python3.13")
    script(machine / "pyenv-bin" / "pyenv", f'[ "$1" = root ] && echo "{machine / "pyenv"}"')
    assert run_make(machine, machine / "shims", machine / "pyenv-bin") == str(elsewhere)
    assert run_make(machine, machine / "shims", PYENV_ROOT=str(machine / "pyenv")) == str(elsewhere)


def test_python_given_is_used_when_it_runs_313(machine: Path) -> None:
    python_313(machine / "bin" / "python3.13")
    given = python_313(machine / "other" / "python")
    assert run_make(machine, machine / "bin", arguments=[*PRINT_PYTHON, f"PYTHON={given}"]) == str(given)
    assert run_make(machine, machine / "bin", PYTHON=str(given)) == str(given)


def test_python_given_that_is_not_313_stops_make_in_one_line_naming_both_versions_and_the_fix(machine: Path) -> None:
    # Given a PYTHON that is a 3.11 (it answers --version as Python does, and runs no code of 3.13's)
    python_313(machine / "bin" / "python3.13")
    python_311 = script(machine / "other" / "python3.11", '[ "$1" = --version ] && echo "Python 3.11.9" || exit 1')
    for given in ([f"PYTHON={python_311}"], []):
        from_environment = {} if given else {"PYTHON": str(python_311)}
        answer = run_make(machine, machine / "bin", arguments=[*PRINT_PYTHON, *given], **from_environment)
        assert answer.startswith("FAILED: ")
        assert answer.strip().count("\n") == 0
        assert f"Python 3.13 is needed; PYTHON={python_311} is Python 3.11.9." in answer
        # the way out names the variable and the target that was asked for
        assert "Install 3.13 (pyenv install 3.13" in answer
        assert "run make PYTHON=/path/to/python3.13 print-python" in answer


def test_python_given_that_does_not_run_says_so(machine: Path) -> None:
    missing = machine / "nowhere" / "python3.13"
    answer = run_make(machine, arguments=[*PRINT_PYTHON, f"PYTHON={missing}"])
    assert answer.startswith("FAILED: ")
    assert f"Python 3.13 is needed; PYTHON={missing} is not a Python that runs." in answer


def test_without_any_313_make_stops_in_one_line_saying_what_to_install(machine: Path) -> None:
    failing_shim(machine / "shims" / "python3.13")
    answer = run_make(machine, machine / "shims")
    assert answer.startswith("FAILED: ")
    assert answer.strip().count("\n") == 0
    assert "no Python 3.13 found: install it (pyenv install 3.13" in answer
    # help needs no Python
    assert "make test" in run_make(machine, machine / "shims", arguments=["help"])


def makefile_variable(path: Path, name: str) -> str:
    (line,) = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(f"{name} ")]
    return line.split("=", 1)[1].strip()


def test_one_python_version_everywhere() -> None:
    # Lambda's runtime, the layer's build, the virtualenv, ruff, mypy and the tests all on one version
    version = makefile_variable(REPO / "Makefile", "PYTHON_VERSION")
    assert version == "3.13"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == version
    template = load_template()
    assert template["Globals"]["Function"]["Runtime"] == f"python{version}"
    assert not [
        name for name, spec in resources_of_type("AWS::Serverless::Function").items() if "Runtime" in spec["Properties"]
    ]
    assert template["Resources"]["RecipientsLayer"]["Properties"]["CompatibleRuntimes"] == [f"python{version}"]
    assert makefile_variable(REPO / "layers" / "recipients" / "Makefile", "PYTHON_VERSION") == version
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={version},<3.{int(version.split('.')[1]) + 1}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
    assert pyproject["tool"]["mypy"]["python_version"] == version
