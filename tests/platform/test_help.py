"""``piccolo --help`` and every project command's ``--help`` on the embedded
default: the listing (each command once, no "Unrecognised command"), an
app's listing, each command's arguments, and no database server started for it (its data
directory is never even created). How long they take: ``python -m bench.cli_help``."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from piccolo.conf.apps import Finder

from platform_db.cli import help_requested
from tests.support.commands import PICCOLO, PROJECT
from tests.support.commands import embedded_env as env_for

PROJECT_APPS = ("business", "servicetitan", "reporting", "platform", "admin")


def project_commands() -> list[tuple[str, str]]:
    return [
        (app.app_name, command.command_name or command.callable.__name__)
        for app in Finder().get_app_configs()
        if app.app_name in PROJECT_APPS
        for command in app.get_commands()
    ]


@pytest.fixture
def embedded_env(tmp_path):
    return env_for(tmp_path / "pg")


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"], []])
def test_the_command_list_starts_no_server_and_names_each_command_once(embedded_env, args):
    done = run(embedded_env, *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Unrecognised command" not in done.stdout
    listed = [line for line in done.stdout.splitlines() if "\x1b[32m" in line]
    names = [line.split("\x1b[32m")[1].split("\x1b[39m")[0] for line in listed]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {"user list", "servicetitan add_credential", "servicetitan set_tenant_id"} <= set(names)
    assert not Path(embedded_env["PLATFORM_EMBEDDED_DIR"]).exists()


def test_every_project_commands_help_lists_its_arguments_and_starts_no_server(embedded_env):
    commands = project_commands()
    assert ("servicetitan", "add_credential") in commands
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda c: run(embedded_env, *c, "--help"), commands))
    for (app, name), result in zip(commands, done):
        assert result.returncode == 0, (app, name, result.stderr)
        assert result.stderr == "", (app, name, result.stderr)
        assert f"{name}\n{'=' * len(name)}" in result.stdout
        assert "return" not in result.stdout.split("Args")[-1], (app, name)
    assert not Path(embedded_env["PLATFORM_EMBEDDED_DIR"]).exists()


@pytest.mark.parametrize("spelling", ["--help", "-h", "help", ""])
def test_an_apps_help_lists_its_commands_and_starts_no_server(embedded_env, spelling):
    """`piccolo <app> --help` (or the app's name alone): that app's commands,
    Piccolo's apps included, where targ said "Unrecognised command" above the
    whole list."""
    from piccolo.apps.migrations.piccolo_app import APP_CONFIG as MIGRATIONS

    apps = {app.app_name: app for app in [*Finder().get_app_configs(), MIGRATIONS]}
    # `piccolo platform help` is a command of its own (the whole listing).
    names = [
        app for app in [*PROJECT_APPS, "migrations"] if (app, spelling) != ("platform", "help")
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(
            pool.map(lambda app: run(embedded_env, app, *[spelling][: bool(spelling)]), names)
        )
    for app, result in zip(names, done):
        assert result.returncode == 0 and result.stderr == "", (app, result.stderr)
        assert f"{app} commands\n" in result.stdout
        assert "Unrecognised command" not in result.stdout
        listed = {
            line.split("\x1b[32m")[1].split("\x1b[39m")[0]
            for line in result.stdout.splitlines()
            if "\x1b[32m" in line
        }
        expected = {
            f"{app} {c.command_name or c.callable.__name__}" for c in apps[app].get_commands()
        }
        assert listed == expected, (app, listed ^ expected)
    assert not Path(embedded_env["PLATFORM_EMBEDDED_DIR"]).exists()


def test_the_platform_help_command_still_lists_everything(embedded_env):
    done = run(embedded_env, "platform", "help")
    assert done.returncode == 0 and "Piccolo CLI" in done.stdout
    assert "servicetitan add_credential" in done.stdout


@pytest.mark.parametrize(
    "argv, only_help",
    [
        (["/venv/bin/piccolo"], True),
        (["piccolo", "--help"], True),
        (["piccolo", "servicetitan", "load", "--help"], True),
        (["piccolo", "-h"], True),
        (["piccolo", "business", "help"], True),
        (["piccolo", "business", "-h"], True),
        (["piccolo", "business"], True),
        (["piccolo", "business", "stats"], False),
        (["piccolo", "servicetitan", "load", "jobs", "1", "x.json"], False),
        (["piccolo", "servicetitan", "load", "-h"], False),  # targ reads -h as an argument
        (["/usr/bin/pytest", "--help"], False),
    ],
)
def test_help_requested(argv, only_help):
    assert help_requested(argv) is only_help
