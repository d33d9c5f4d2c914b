"""The API value parsers, here and under the oldest Python the project claims
(``requires-python``), which must parse every value the same way."""

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.servicetitan.api_value_cases import CASES, outcome

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("parser,value,expected", CASES)
def test_parses(parser, value, expected):
    assert outcome(parser, value) == expected


def oldest_python() -> Path | None:
    """An interpreter of the oldest version ``requires-python`` allows."""
    claimed = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
        "requires-python"
    ]
    version = re.fullmatch(r">=\s*(\d+\.\d+)", claimed)[1]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(pyenv.glob(f"{version}.*/bin/python"), reverse=True)
    if candidates:
        return candidates[0]
    found = subprocess.run(["which", f"python{version}"], capture_output=True, text=True)
    return Path(found.stdout.strip()) if found.returncode == 0 else None


def test_the_oldest_claimed_python_parses_the_same():
    python = oldest_python()
    if python is None:
        message = "no interpreter of the oldest Python that requires-python claims"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from tests.servicetitan.api_value_cases import outcomes; "
        "print(json.dumps([sys.version.split()[0], outcomes()]))"
    )
    # -I: the standard library and the project's modules only; -B: no .pyc left behind.
    run = subprocess.run(
        [str(python), "-I", "-B", "-c", script, str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    version, results = json.loads(run.stdout)
    differences = [
        f"{parser}({value!r}): {got} (expected {expected})"
        for (parser, value, expected), got in zip(CASES, results)
        if got != expected
    ]
    assert not differences, f"Python {version} parses differently:\n" + "\n".join(differences)
