"""The catalog in the UI: every warehouse asset carries its table's column schema."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from mlb_assets.definitions import build_definitions
from mlb_assets.defs.catalog import ASSET_TABLES, column_schema, rows_written
from mlb_assets.lib.warehouse import schema

GRAPH = build_definitions().resolve_asset_graph()


def _node(key: str):  # type: ignore[no-untyped-def]
    return GRAPH.get(dg.AssetKey(key))


def test_every_warehouse_asset_documents_its_columns() -> None:
    for asset, table in ASSET_TABLES.items():
        metadata = _node(asset).metadata
        assert metadata["dagster/table_name"] == table.name
        columns = metadata["dagster/column_schema"].columns
        assert [c.name for c in columns] == [c.name for c in table.columns], asset


def test_the_catalog_names_tables_of_the_one_schema() -> None:
    assert set(ASSET_TABLES.values()) <= set(schema.metadata.tables.values())
    keys = {k.to_user_string() for k in GRAPH.get_all_asset_keys()}
    assert set(ASSET_TABLES) <= keys


def test_column_schema_carries_types_keys_nullability_and_comments() -> None:
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("price", sa.Integer, nullable=False, comment="American odds"),
        sa.Column("note", sa.Text, nullable=True),
    )
    columns = {c.name: c for c in column_schema(table).columns}
    assert columns["id"].type == "varchar(16)"
    assert columns["id"].constraints.other == ["primary key"]
    assert not columns["id"].constraints.nullable
    assert columns["price"].description == "American odds"
    assert not columns["price"].constraints.nullable
    assert columns["note"].constraints.nullable and columns["note"].type == "text"


def test_games_columns_read_as_postgres_types() -> None:
    columns = {c.name: c for c in column_schema(schema.games).columns}
    assert columns["game_date"].type == "date"
    assert columns["start_time_utc"].type.startswith("timestamp")


def test_rows_written_uses_dagsters_row_count_key() -> None:
    assert rows_written(7) == {"dagster/row_count": 7}


def test_a_range_run_does_not_claim_its_total_for_each_partition() -> None:
    partitions = dg.DailyPartitionsDefinition(start_date="2016-04-01")

    def counts(run: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
        return {
            e.partition: {k: v.value for k, v in e.materialization.metadata.items()}
            for e in run.get_asset_materialization_events()
        }

    @dg.asset(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def days(context) -> dg.MaterializeResult:  # type: ignore[no-untyped-def]
        return dg.MaterializeResult(metadata=rows_written(5 * len(context.partition_keys), context))

    job = dg.define_asset_job("days_job", selection=[days]).resolve(
        asset_graph=dg.Definitions(assets=[days]).resolve_asset_graph()
    )
    with dg.instance_for_test() as instance:
        one = job.execute_in_process(instance=instance, partition_key="2016-04-03")
        assert counts(one) == {"2016-04-03": {"dagster/row_count": 5}}
        tags = {
            "dagster/asset_partition_range_start": "2016-04-03",
            "dagster/asset_partition_range_end": "2016-04-05",
        }
        three = job.execute_in_process(instance=instance, tags=tags)
    by_partition = counts(three)
    assert sorted(by_partition) == ["2016-04-03", "2016-04-04", "2016-04-05"]
    for metadata in by_partition.values():
        assert metadata == {"rows_in_run": 15, "partitions_in_run": 3}
