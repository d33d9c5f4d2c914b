"""SQL for the ``updated_at`` trigger (seed 004), shared by every app.

The function is created by the ``business`` app, which every other app
depends on; each app attaches the trigger to its own tables.
"""

from platform_db.migrations.steps import SqlStep

FUNCTION = "update_updated_at_column"

CREATE_FUNCTION = SqlStep(
    forwards=f"""
CREATE OR REPLACE FUNCTION public.{FUNCTION}()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    -- Keeps updated_at true for raw SQL updates too, not only the ORM's.
    -- clock_timestamp(), not now(): several updates in one transaction
    -- must still move it forward.
    IF TG_NARGS > 0 AND TG_ARGV[0] = 'utc' THEN
        -- a TIMESTAMP (without time zone) column holding UTC (seed 000)
        NEW.updated_at := clock_timestamp() AT TIME ZONE 'UTC';
    ELSE
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END;
$$;
""",
    backwards=f"DROP FUNCTION public.{FUNCTION}();",
)


def trigger_step(table: str, schema: str = "public", naive_utc: bool = False) -> SqlStep:
    """The trigger on ``schema.table``; ``naive_utc`` for a TIMESTAMP column."""
    name = f"{table}_set_updated_at"
    argument = "'utc'" if naive_utc else ""
    return SqlStep(
        forwards=f"""
CREATE TRIGGER {name}
    BEFORE UPDATE ON {schema}.{table}
    FOR EACH ROW
    EXECUTE FUNCTION public.{FUNCTION}({argument});
""",
        backwards=f"DROP TRIGGER {name} ON {schema}.{table};",
    )
