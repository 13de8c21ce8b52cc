"""schema.graphql is exported from the code, and the code keeps the whole contract."""

import difflib
import re
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from schema.build import export_sdl, schema

ROOT = Path(__file__).parent.parent
CONTRACT = Path(__file__).parent / "contract.graphql"
SHARED_API = ROOT.parent / "shared" / "API.md"


def test_schema_graphql_is_the_export_of_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    exported = export_sdl()
    if committed != exported:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), exported.splitlines(True)))
        pytest.fail(
            "schema.graphql is stale; run `careerops export-schema --output schema.graphql`\n"
            + diff
        )


def test_the_contract_copy_matches_shared_api_md() -> None:
    if not SHARED_API.exists():
        pytest.skip("shared/API.md is not beside this checkout")
    block = re.search(r"```graphql\n(.*?)```", SHARED_API.read_text(), re.S)
    assert block is not None
    assert CONTRACT.read_text().split("\n", 1)[1] == block.group(1)


def _members(graphql_schema: GraphQLSchema) -> set[str]:
    """Every type, field, argument and enum value, as dotted names."""
    names: set[str] = set()
    for type_name, graphql_type in graphql_schema.type_map.items():
        if type_name.startswith("__"):
            continue
        names.add(type_name)
        if isinstance(graphql_type, GraphQLEnumType):
            names.update(f"{type_name}.{value}" for value in graphql_type.values)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                names.add(f"{type_name}.{field_name}:{field.type}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    names.add(f"{type_name}.{field_name}({arg_name}:{arg.type})")
    return names


def test_every_name_of_the_contract_is_still_in_the_schema() -> None:
    contract = _members(build_schema(CONTRACT.read_text()))
    ours = _members(build_schema(export_sdl()))
    missing = sorted(contract - ours)
    assert not missing, f"the schema dropped or changed contract members: {missing}"


def test_the_schema_object_is_what_was_exported() -> None:
    assert "jobEvents(jobId: ID!): JobEvent!" in str(schema)
