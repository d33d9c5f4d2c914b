import sys

import targ

from platform_db.cli import command

# What `piccolo <app> ...` takes as a request for that app's command list.
GROUP_HELP = ("--help", "-h", "help")


@command
def help():
    """
    List every command (as `piccolo --help`, `piccolo -h` and `piccolo`
    alone do); `piccolo <app> --help` lists one app's, and
    `piccolo <app> <command> --help` explains one.
    """
    # Piccolo's own listing: its CLI run with no arguments. Registered with
    # the aliases --help and -h, this command is what targ finds for
    # `piccolo --help`, which it would otherwise call an unknown command.
    import sys

    from piccolo.main import main

    arguments = sys.argv
    sys.argv = arguments[:1]
    try:
        main()
    finally:
        sys.argv = arguments


def _group_listing(group_name: str, commands: list[targ.Command]) -> targ.Command:
    def listing():
        title = f"{group_name} commands"
        print(f"\n{title}\n{targ.get_underline(len(title))}")
        if not commands:
            print(f"The {group_name} app has no commands of its own.\n")
            return
        print(f"`piccolo {group_name} <command> --help` explains one.\n")
        for one in commands:
            print(targ.format_text(one.full_name, color=targ.Color.green))
            print(one.description)
            print()

    listing.__doc__ = f"List the commands of the {group_name} app."
    return targ.Command(listing, group_name=group_name, command_name="help")


def _app_names() -> list[str]:
    from piccolo.conf.apps import Finder

    return Finder().get_app_names()


def install_app_help() -> None:
    """``piccolo <app> --help`` (or ``-h``, ``help``, or the app's name
    alone) lists that app's commands. targ looks for a command named
    ``--help`` in the app's group, finds none, and prints "Unrecognised
    command - --help" above the whole listing; the lookup now answers with the app's own listing. Every app
    gets it, Piccolo's own included. Idempotent."""
    original = targ.CLI._get_command
    if getattr(original, "app_help", False):
        return

    def _get_command(self, command_name, group_name=None):
        # `piccolo business` alone: no command can be meant but the list.
        alone = group_name is None and sys.argv[1:] == [command_name]
        group, name = (command_name, "--help") if alone else (group_name, command_name)
        if group and name in GROUP_HELP:
            commands = [one for one in self.commands if one.group_name == group]
            # A command of that name (`piccolo platform help`) stays itself;
            # an alias (the platform's --help) gives way to the listing.
            if (commands or group in _app_names()) and all(
                one.command_name != name for one in commands
            ):
                return _group_listing(group, commands)
        return original(self, command_name, group_name)

    _get_command.app_help = True
    targ.CLI._get_command = _get_command
