"""A table whose history has a dropped column and a type change
(``ChangeColumnType``, a batched backfill): what ``platform sql`` must not
print as a script, and what ``platform check`` sees after rolling them back."""

from piccolo.columns import Integer, Varchar
from piccolo.table import Table


class BackfillDemo(Table, tablename="backfill_demo"):
    email = Varchar(length=255, null=True, default=None)
    n = Integer(null=True, default=None)


TABLES = [BackfillDemo]
