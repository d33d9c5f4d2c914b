"""``day2_messages`` partitioned by month on ``created_at`` (primary key
(id, created_at), four months and a DEFAULT partition), and the
``updated_at`` trigger of ``day2_clients``: the start of the day-2 examples,
as ``business``'s ``messages_partitioned`` does it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from platform_db.migrations.steps import SqlStep, add_sql_steps
from platform_db.migrations.updated_at import trigger_step

ID = "2026-12-07T13:58:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "messages_partitioned"

# The table was made empty by the migration before, for Piccolo's state; nothing reads it yet.
LINT_ACKNOWLEDGED = {
    "renaming-table": "the plain table the tables migration made, empty, read by nobody yet",
    "ban-drop-table": "the plain table the tables migration made, empty, read by nobody yet",
}

MONTHS = ["2026_10", "2026_11", "2026_12", "2027_01"]


def _partition(month: str) -> str:
    year, number = month.split("_")
    start = f"{year}-{number}-01"
    return (
        f"CREATE TABLE public.day2_messages_{month} PARTITION OF public.day2_messages\n"
        f"    FOR VALUES FROM ('{start}') TO (('{start}'::date + interval '1 month'));"
    )


PARTITIONED = SqlStep(
    forwards="\n".join(
        [
            "ALTER TABLE public.day2_messages RENAME TO day2_messages_plain;",
            "CREATE TABLE public.day2_messages (",
            "    LIKE public.day2_messages_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS",
            ") PARTITION BY RANGE (created_at);",
            "CREATE TABLE public.day2_messages_default PARTITION OF public.day2_messages DEFAULT;",
            *(_partition(month) for month in MONTHS),
            "INSERT INTO public.day2_messages SELECT * FROM public.day2_messages_plain;",
            "DROP TABLE public.day2_messages_plain;",
            "ALTER TABLE public.day2_messages",
            "    ADD CONSTRAINT day2_messages_pkey PRIMARY KEY (id, created_at);",
        ]
    ),
    backwards="""
ALTER TABLE public.day2_messages RENAME TO day2_messages_partitioned;
ALTER TABLE public.day2_messages_partitioned
    RENAME CONSTRAINT day2_messages_pkey TO day2_messages_partitioned_pkey;
CREATE TABLE public.day2_messages (
    LIKE public.day2_messages_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
);
INSERT INTO public.day2_messages SELECT * FROM public.day2_messages_partitioned;
DROP TABLE public.day2_messages_partitioned;
ALTER TABLE public.day2_messages ADD CONSTRAINT day2_messages_pkey PRIMARY KEY (id);
""",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="day2", description=DESCRIPTION)
    add_sql_steps(manager, PARTITIONED, trigger_step("day2_clients"))
    return manager
