"""``platform_db.cli.command``: arguments checked before the command runs,
one line per error, distinct exit statuses. Run through targ, as
``piccolo`` runs a command."""

import subprocess
import sys
import textwrap

import pytest

DEMO = textwrap.dedent(
    '''
    from typing import Annotated
    from targ import CLI
    from platform_db.cli import Bounds, CommandError, OneOf, command, confirm

    @command
    async def demo(tenant_id: int, months: Annotated[int, Bounds(0, 60)] = 5,
                   yes: bool = False, mode: str = "ok",
                   colour: Annotated[str, OneOf("red", "blue")] = "red") -> None:
        """A demo command.

        :param tenant_id: a tenant
        """
        if mode == "fail":
            raise CommandError("the demo failed")
        if mode == "crash":
            raise RuntimeError("unexpected\\nacross lines")
        if mode == "ask":
            confirm("plan: drop 3 months", yes=yes)
        if mode == "unmigrated":
            import asyncpg
            raise asyncpg.exceptions.UndefinedTableError('relation "companies" does not exist')
        if mode == "flood":
            for line in range(100_000):
                print("line", line)
        print("ran", tenant_id, months, yes)

    cli = CLI()
    cli.register(demo)
    cli.run()
    '''
)


def run(tmp_path, *args, stdin=""):
    script = tmp_path / "demo.py"
    script.write_text(DEMO)
    return subprocess.run(
        [sys.executable, str(script), "demo", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=".",
        env={"PYTHONPATH": "."},
    )


def test_typed_arguments_reach_the_command_converted(tmp_path):
    done = run(tmp_path, "7", "--months=12", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ran 7 12 True"


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["abc"], 2, "error: tenant_id must be a whole number, not 'abc'"),
        (["1", "--months=2000"], 2, "error: --months must be between 0 and 60, not 2,000"),
        (["1", "--months=-1"], 2, "error: --months must be between 0 and 60, not -1"),
        (["1", "--yes=maybe"], 2, "error: --yes is a flag: give it alone, or as --yes=true / false"),
        ([], 2, "error: missing argument tenant_id: usage: demo tenant_id"),
        (["1", "--bogus=1"], 2, "error: unknown option --bogus (options: --months, --yes, --mode, --colour)"),
        (["1", "--colour=green"], 2, "error: --colour must be one of red, blue; not 'green'"),
        (["1", "--mode"], 2, "error: --mode needs a text value, not true"),
        (["1", "--mode=fail"], 1, "error: the demo failed"),
    ],
)
def test_a_refusal_is_one_line_with_its_status_and_no_help(tmp_path, args, status, message):
    done = run(tmp_path, *args)
    assert done.returncode == status
    assert done.stderr.splitlines() == [message]
    assert done.stdout == ""


def test_an_unexpected_error_is_one_line_and_a_hint(tmp_path):
    done = run(tmp_path, "1", "--mode=crash")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: RuntimeError: unexpected across lines",
        "(PLATFORM_TRACE=1 shows where it happened)",
    ]


def test_a_missing_table_says_to_migrate(tmp_path):
    done = run(tmp_path, "1", "--mode=unmigrated")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        'error: relation "companies" does not exist: is the database migrated? '
        "(piccolo migrations check; piccolo migrations forwards all)"
    ]


def test_a_plan_needs_yes_without_a_terminal(tmp_path):
    refused = run(tmp_path, "1", "--mode=ask")
    assert refused.returncode == 1
    assert refused.stdout.strip() == "plan: drop 3 months"
    assert refused.stderr.strip() == "error: not done: pass --yes to go ahead (nothing was changed)"
    done = run(tmp_path, "1", "--mode=ask", "--yes")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["plan: drop 3 months", "ran 1 5 True"]


def test_help_lists_the_parameters_and_no_return(tmp_path):
    done = run(tmp_path, "--help")
    assert done.returncode == 0
    assert "tenant_id" in done.stdout and "months" in done.stdout
    assert "return" not in done.stdout


def test_output_cut_short_by_a_pager_ends_quietly(tmp_path):
    """``piccolo ... | head``: the reader goes away; no error line for that."""
    script = tmp_path / "demo.py"
    script.write_text(DEMO)
    command = subprocess.Popen(
        [sys.executable, str(script), "demo", "1", "--mode=flood"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PYTHONPATH": "."},
    )
    assert command.stdout.readline() == b"line 0\n"
    command.stdout.close()
    assert command.wait(timeout=30) == 141
    assert command.stderr.read() == b""
