"""docs/scaling.md's Citus plan against the catalog: every table and
function has a row, and each table lacks exactly what its row says to be
what the plan makes of it (a distributed table by its column, a reference
table, a local one): tests/support/citus_plan.py holds Citus's rules."""

from tests.support.citus_plan import catalog_functions, catalog_tables, gaps, read_plan


async def test_every_table_and_function_has_a_row_in_the_plan(conn):
    plan = read_plan()
    tables = await catalog_tables(conn)
    assert sorted(set(tables) - set(plan.tables)) == [], "tables the plan does not place"
    assert sorted(set(plan.tables) - set(tables)) == [], "the plan places tables that are gone"
    functions = await catalog_functions(conn)
    assert sorted(functions - set(plan.functions)) == [], "functions the plan does not place"
    assert sorted(set(plan.functions) - functions) == [], "the plan places functions that are gone"


async def test_each_table_lacks_what_the_plan_says_and_no_more(conn):
    plan = read_plan()
    tables = await catalog_tables(conn)
    wrong = []
    for name, planned in sorted(plan.tables.items()):
        found = await gaps(conn, plan, name, tables)
        if found != planned.needs or planned.ready != (not found):
            wrong.append(
                f"{name}: the plan says {'ready' if planned.ready else 'not ready'}, needing "
                f"{sorted(planned.needs)}; the catalog says {sorted(found) or 'ready'}"
            )
    assert wrong == [], "update docs/scaling.md (or the schema):\n" + "\n".join(wrong)


async def test_a_change_that_breaks_the_plan_is_found(tx):
    """In a rolled-back transaction: a unique key without the distribution
    column, a reference table pointing at a distributed one, and a trigger
    the plan has not reviewed each show up as a gap."""
    plan = read_plan()
    tables = await catalog_tables(tx)
    await tx.execute(
        "ALTER TABLE raw.st_jobs ADD CONSTRAINT st_jobs_number_key UNIQUE (row_id, job_number)"
    )
    assert "unique st_jobs_number_key (row_id, job_number) lacks tenant_id" in await gaps(
        tx, plan, "raw.st_jobs", tables
    )
    await tx.execute(
        "ALTER TABLE public.tenant_branding ADD COLUMN week_id uuid"
        " CONSTRAINT tenant_branding_week_fkey REFERENCES public.report_weeks (id)"
    )
    await tx.execute(
        "CREATE FUNCTION public.touch_tenant() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN UPDATE public.tenants SET name = name; RETURN NEW; END $$"
    )
    await tx.execute(
        "CREATE TRIGGER tenant_branding_touch AFTER UPDATE ON public.tenant_branding"
        " FOR EACH ROW EXECUTE FUNCTION public.touch_tenant()"
    )
    assert await gaps(tx, plan, "public.tenant_branding", tables) == {
        "foreign key tenant_branding_week_fkey → public.report_weeks, a distributed table",
        "trigger tenant_branding_touch runs public.touch_tenant(), not a row trigger of the plan",
    }
    assert "public.touch_tenant()" in await catalog_functions(tx) - set(plan.functions)
