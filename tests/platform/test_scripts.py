"""A script anywhere on the machine, run with the project's Python, finds
``piccolo_conf`` (the project installs it as a module) and its tables."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio

    import piccolo_conf
    from servicetitan.tables import ServiceTitanCredential

    async def main():
        print(piccolo_conf.__name__, await ServiceTitanCredential.count() >= 0)

    asyncio.run(main())
    """
)


def test_a_script_outside_the_project_root_finds_piccolo_conf(tmp_path, migrated):
    script = tmp_path / "report.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PICCOLO_CONF")}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "piccolo_conf True"
