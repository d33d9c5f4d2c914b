"""Telling one ServiceTitan entity from another by its fields, tried on
records made from ServiceTitan's OpenAPI specs (servicetitan/fake/specs.py)."""

import pytest

from servicetitan.cache.entities import ENTITIES, entity_of, not_of, page_problem, telling
from servicetitan.cache.raw_tables import CACHE_TABLES
from servicetitan.fake.specs import feeds
from tests.servicetitan.records import spec_record as record

TABLES = list(CACHE_TABLES)


def _schemas(table: str) -> list[dict]:
    feed = feeds()[table.removeprefix("st_")]
    return [feed.schema("list"), feed.schema("export")]


def required_fields(table: str) -> set[str]:
    """What both the list and the export response require."""
    return set.intersection(*(set(schema["required"]) for schema in _schemas(table)))


def properties(table: str) -> set[str]:
    return set().union(*(schema["properties"] for schema in _schemas(table)))


def test_every_cache_table_has_an_entity_and_a_schema():
    assert set(ENTITIES) == set(CACHE_TABLES) == {f"st_{entity}" for entity in feeds()}


@pytest.mark.parametrize("table", TABLES)
def test_an_entitys_fields_are_its_specs(table):
    assert ENTITIES[table].required == required_fields(table)
    assert ENTITIES[table].fields == properties(table)


def test_every_two_entities_are_told_apart_by_fields_each_requires_and_the_other_lacks():
    assert all(telling(a, b) for a in TABLES for b in TABLES if a != b)
    assert telling("st_locations", "st_customers") == {"customerId"}


@pytest.mark.parametrize("kind", ["list", "export"])
@pytest.mark.parametrize("table", TABLES)
def test_a_spec_shaped_record_is_its_own_entity_and_no_other(table, kind):
    full = record(table, 1, kind)
    # only what the spec requires, every nullable field null
    bare = record(table, 2, kind, only_required=True)
    for made in (full, bare):
        assert entity_of(made) is ENTITIES[table]
        assert not_of(table, made) is None
        for other in TABLES:
            if other != table:
                assert not_of(other, made).startswith(f"is {ENTITIES[table].a}, not")


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("source", TABLES)
def test_a_page_of_another_entity_is_refused(table, source):
    page = [record(source, 1), record(source, 2, "export")]
    problem = page_problem(table, page)
    if source == table:
        assert problem is None
    else:
        assert problem == f"record 1 {not_of(table, page[0])}"


def test_a_page_of_non_records_is_refused_and_one_stray_record_is_left_to_the_load():
    assert page_problem("st_jobs", [{"id": -5}]) == (
        "no record is a job: record 1 is not a job record: it has none of the fields a job "
        "has in jpm-v2 Jpm.V2.JobResponse (appointmentCount, campaignId, customerPo, "
        "estimateIds, ...)"
    )
    assert page_problem("st_jobs", [7, "x"]) == (
        "no record is a job: record 1 is int, not a JSON object"
    )
    # a malformed record among jobs is rejected as the batch loads, with its reason
    assert page_problem("st_jobs", [record("st_jobs", 1), {"id": -5}, 7]) is None
    assert page_problem("st_jobs", []) is None
