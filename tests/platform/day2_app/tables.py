"""The tables docs/migrations.md's day-2 examples start from: a client list
that the application writes to all day, and its messages, partitioned by
month (``day2_2026_12_07t13_58_30_messages_partitioned``)."""

from piccolo.columns import UUID, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table


class Company(Table, tablename="day2_companies"):
    name = Varchar(length=100)


class Staff(Table, tablename="day2_staff"):
    name = Varchar(length=100)


class Client(Table, tablename="day2_clients"):
    company = ForeignKey(Company, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    email = Varchar(length=255, null=True, default=None)
    phone = Varchar(length=20, null=True, default=None)
    status = Varchar(length=20, default="active")
    visits = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())

    day2_clients_visits_check = Check("visits >= 0")


class Message(Table, tablename="day2_messages"):
    id = UUID(primary_key=True)
    phone = Varchar(length=20)
    content = Text()
    created_at = Timestamptz(default=TimestamptzNow())


TABLES = [Company, Staff, Client, Message]
