"""``piccolo platform <command>``, one module per command.
May import every other package of ``platform_db``.
"""
