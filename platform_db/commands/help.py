from platform_db.cli import command


@command
def help():
    """
    List every command (as `piccolo --help`, `piccolo -h` and `piccolo`
    alone do); `piccolo <app> <command> --help` explains one.
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
