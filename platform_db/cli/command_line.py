"""How every project command meets its user.

Piccolo's CLI (targ) converts ``int`` arguments itself, and on any exception
prints the message followed by the command's whole help text. A command
wrapped in ``@command`` instead receives its arguments as text, checks every
one of them before anything runs (type and bounds, named in the message),
and reports any refusal in one line on stderr with a distinct exit status:

- 0: done;
- 1: the command ran and failed, or the user declined (``CommandError``,
  ``DataRejected``);
- 2: an argument cannot be used (``UsageError``): nothing ran;
- 130: interrupted (Ctrl-C);
- 141: the output's reader went away (``| head``).

``PLATFORM_TRACE=1`` adds the traceback of an unexpected error.

A command that drops or rewrites data asks first through
``platform_db.cli.prompts.confirm``; its ``--yes`` answers for a script or cron.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import sys
import traceback
import typing
from typing import Annotated, Any, Callable

from platform_db.values.arguments import (
    EXIT_FAILED,
    Bounds,
    Check,
    CommandError,
    OneOf,
    UsageError,
)
from platform_db.values.rejections import DataRejected

EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, as a shell reports a pager's early exit

_WORDS = {int: "a whole number", float: "a number"}
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


def _convert(label: str, kind, check: Bounds | OneOf | Check | None, value):
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise UsageError(f"{label} is a flag: give it alone, or as {label}=true / false")
    if kind in _WORDS:
        try:
            converted = kind(str(value).strip().replace("_", ""))
        except ValueError:
            raise UsageError(f"{label} must be {_WORDS[kind]}, not {str(value)!r}") from None
        if kind is float and converted != converted:  # NaN passes every bound
            raise UsageError(f"{label} must be {_WORDS[kind]}, not {str(value)!r}")
        return check.check(label, converted) if check else converted
    if isinstance(value, bool):
        # targ turns a bare --option, and true / t / false / f, into a bool.
        raise UsageError(f"{label} needs a text value, not {str(value).lower()}")
    return check.check(label, value) if check else value


def _parameters(func) -> dict[str, tuple[type, Bounds | OneOf | Check | None]]:
    """Each parameter's type and its bounds or allowed values, from its annotation."""
    hints = typing.get_type_hints(func, include_extras=True)
    found = {}
    for name in inspect.signature(func).parameters:
        hint = hints.get(name, str)
        check = None
        if typing.get_origin(hint) is Annotated:
            hint, *extras = typing.get_args(hint)
            check = next((e for e in extras if isinstance(e, (Bounds, OneOf, Check))), None)
        found[name] = (hint, check)
    return found


_NOT_MIGRATED = {"UndefinedTableError", "UndefinedFunctionError"}


def report(exc: BaseException) -> int:
    """Print ``exc`` as the one line a command ends with; its exit status."""
    if isinstance(exc, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        # The reader (``| head``) went away: nothing to say. Python would
        # complain again flushing stdout at exit, so it points nowhere now.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
    if isinstance(exc, (CommandError, DataRejected)):
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_FAILED)
    if type(exc).__name__ in _NOT_MIGRATED:
        # asyncpg's UndefinedTableError / UndefinedFunctionError: almost
        # always a database the migrations have not (all) run on.
        print(
            f"error: {exc}: is the database migrated? "
            "(piccolo migrations check; piccolo migrations forwards all)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"error: {type(exc).__name__}: {message}", file=sys.stderr)
    if os.environ.get("PLATFORM_TRACE") == "1":
        traceback.print_exception(exc)
    else:
        print("(PLATFORM_TRACE=1 shows where it happened)", file=sys.stderr)
    return EXIT_FAILED


def command(func: Callable) -> Callable:
    """Wrap a command function (sync or async) as described in this module.

    Its signature, docstring and defaults are what ``piccolo <app> <name>
    --help`` shows; every annotation becomes ``str`` for targ, so the values
    reach this wrapper as typed and are converted here.
    """
    parameters = _parameters(func)
    signature = inspect.signature(func)
    positional = [
        name for name, p in signature.parameters.items() if p.default is inspect.Parameter.empty
    ]

    def checked(given: dict[str, Any]) -> dict[str, Any]:
        """The arguments as typed values (raises ``UsageError``)."""
        unknown = sorted(set(given) - set(parameters))
        if unknown:
            options = ", ".join(f"--{name}" for name in parameters if name not in positional)
            raise UsageError(
                f"unknown option --{unknown[0]}" + (f" (options: {options})" if options else "")
            )
        missing = [name for name in positional if name not in given]
        if missing:
            raise UsageError(
                f"missing argument {missing[0]}: usage: {func.__name__} " + " ".join(positional)
            )
        return {
            name: _convert(name if name in positional else f"--{name}", *parameters[name], value)
            for name, value in given.items()
        }

    @functools.wraps(func)
    def wrapper(**given: Any):
        try:
            result = func(**checked(given))
            if inspect.iscoroutine(result):
                # asyncio.run, not Piccolo's run_sync, which retries a
                # coroutine that raised RuntimeError and hides the error.
                result = asyncio.run(result)
            return result
        except (Exception, KeyboardInterrupt) as exc:
            sys.exit(report(exc))

    # targ reads the parameters through getfullargspec (which honours
    # __signature__) and the help through get_type_hints.
    wrapper.__signature__ = signature.replace(
        parameters=[p.replace(annotation=str) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    wrapper.__annotations__ = {name: str for name in parameters}
    # For platform_db.cli.preflight: the same checks before Piccolo's CLI connects.
    wrapper.check_arguments = checked
    return wrapper


def help_requested(argv: list[str] | None = None) -> bool:
    """Whether this run of ``piccolo`` only prints help: targ prints a
    command's help whenever ``--help`` is among its arguments, and the
    command list when there are none (or ``help`` / ``-h``, see
    ``platform_db.commands.help``); ``piccolo <app>`` alone, ``piccolo <app>
    help`` (or ``-h``) list one app's."""
    argv = sys.argv if argv is None else argv
    if not argv or os.path.basename(argv[0]) != "piccolo":
        return False
    arguments = argv[1:]
    return (
        len(arguments) <= 1  # every command is `<app> <command>`: one word is a listing
        or "--help" in arguments
        or (len(arguments) == 2 and arguments[1] in ("help", "-h"))  # an app's listing
    )
