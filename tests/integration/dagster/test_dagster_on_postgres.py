"""A shared deployment's storage, for real: a Dagster instance on dagster-postgres and the
results store at TESTBOTS_RESULTS_URL, both on the session's throwaway PostgreSQL, run
`scenario_transfer_baseline` at smoke size (one run, about 20 s)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from testbots_dagster.definitions import RESULTS_URL_ENV, build_definitions
from testbots_dagster.results_store import ResultsStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
KEY = dg.AssetKey(["scenarios", "transfer_baseline"])
SMOKE = {"ops": {"scenarios__transfer_baseline": {"config": {"size": "smoke"}}}}


@pytest.fixture
def dagster_db(new_postgres_database: Callable[[], str]) -> str:
    """Dagster's own database, apart from the results store's (both have a `runs` table)."""
    return new_postgres_database()


@pytest.fixture
def pg_instance(tmp_path: Path, dagster_db: str) -> Iterator[dg.DagsterInstance]:
    storage = {"postgres": {"postgres_url": dagster_db}}  # postgresql+psycopg2://…
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(
        temp_dir=str(tmp_path / "dagster"), overrides={"storage": storage}
    ) as inst:
        yield inst


def test_a_scenario_run_on_postgres_storage_is_kept_by_dagster_and_the_results_store(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_url: str,
    dagster_db: str,
    pg_instance: dg.DagsterInstance,
) -> None:
    assert type(pg_instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(pg_instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    monkeypatch.setenv(RESULTS_URL_ENV, postgres_url)
    job = build_definitions(REPO / "scenarios").resolve_job_def("scenario_transfer_baseline")

    result = job.execute_in_process(instance=pg_instance, run_config=SMOKE)

    assert result.success
    # Dagster's run, its events and the materialization are rows in the Postgres database
    run = pg_instance.get_run_by_id(result.run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    (record,) = pg_instance.fetch_materializations(KEY, limit=10).records
    assert record.run_id == result.run_id
    engine = sa.create_engine(dagster_db)
    try:
        with engine.connect() as conn:
            stored_runs = conn.execute(sa.text("SELECT run_id FROM runs")).scalars().all()
    finally:
        engine.dispose()
    assert stored_runs == [result.run_id]
    # the testbots result went to TESTBOTS_RESULTS_URL, nothing to the SQLite default
    with ResultsStore(postgres_url) as store:
        stored = store.get(result.run_id)
    assert stored.verdict == "PASS" and stored.size == "smoke" and len(stored.series) >= 10
    assert make_url(store.url).get_backend_name() == "postgresql"
    assert not (home / "results.sqlite").exists()
