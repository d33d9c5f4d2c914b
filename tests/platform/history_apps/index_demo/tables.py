"""A column whose index was built by ``ConcurrentIndex`` under a name that
is not Piccolo's ``<table>_<column>``, then dropped by ``--auto``."""

from piccolo.columns import Varchar
from piccolo.table import Table


class IndexDemo(Table, tablename="index_demo"):
    email = Varchar(length=255, null=True, default=None)


TABLES = [IndexDemo]
