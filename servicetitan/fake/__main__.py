"""``python -m servicetitan.fake``: serves the fake ServiceTitan on
127.0.0.1 until interrupted, after printing the environment a client needs
as shell ``export`` lines.

    python -m servicetitan.fake --port 8765 --records jobs=100000
    eval "$(python -m servicetitan.fake --port 8765 --print-env)"   # another shell

The credentials derive from ``--seed`` and the tenant ids, so the same
arguments print the same environment: ``--print-env`` prints it and exits.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from servicetitan.fake.server import HOST, bind, server, url
from servicetitan.fake.service import DEFAULT_TENANT, FakeServiceTitan
from servicetitan.fake.specs import feeds
from servicetitan.fake.tenants import DEFAULT_RECORDS


def _records(values: list[str]) -> dict[str, int]:
    """``N`` for every entity and/or ``entity=N`` for one."""
    every, by_entity = DEFAULT_RECORDS, {}
    for value in values:
        entity, _, count = value.rpartition("=")
        if not count.isdigit() or (entity and entity not in feeds()):
            raise argparse.ArgumentTypeError(
                f"--records {value}: N, or ENTITY=N with ENTITY one of {', '.join(feeds())}"
            )
        if entity:
            by_entity[entity] = int(count)
        else:
            every = int(count)
    return {entity: by_entity.get(entity, every) for entity in feeds()}


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m servicetitan.fake", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--port", type=int, default=0, help="0 (the default): a free port")
    parser.add_argument("--tenants", type=int, nargs="+", default=[DEFAULT_TENANT], metavar="ID")
    parser.add_argument(
        "--records", action="append", default=[], metavar="[ENTITY=]N",
        help=f"records per tenant: N of each entity, or of one (default {DEFAULT_RECORDS}); repeatable",
    )  # fmt: skip
    parser.add_argument("--page-size", type=int, default=500, help="records per export page")
    parser.add_argument(
        "--recent-changes", type=int, default=5, help="versions includeRecentChanges repeats"
    )
    parser.add_argument(
        "--token-lifetime", type=int, default=900, help="the tokens' expires_in, seconds"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=60, help="requests a second per tenant; 0: none"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="credentials and records derive from it"
    )
    parser.add_argument("--print-env", action="store_true", help="print the environment and exit")
    args = parser.parse_args(argv)
    try:
        args.records = _records(args.records)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if args.print_env and not args.port:
        parser.error("--print-env needs the --port the fake serves on")
    return args


def exports(env: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    fake = FakeServiceTitan(
        args.tenants, args.records, page_size=args.page_size, recent_changes=args.recent_changes,
        token_lifetime=args.token_lifetime, rate_limit=args.rate_limit or None, seed=args.seed,
    )  # fmt: skip
    if args.print_env:
        fake.url = f"http://{HOST}:{args.port}"
        print(exports(fake.env), end="")
        return
    sock = bind(args.port)
    fake.url = url(sock)
    print(f"# The fake ServiceTitan at {fake.url}; Ctrl-C stops it.")
    print(exports(fake.env), end="", flush=True)
    print(f"serving {fake.url} (controls at {fake.url}/_fake)", file=sys.stderr, flush=True)
    server(fake.app(), log_level="info").run(sockets=[sock])


if __name__ == "__main__":
    main()
