"""The run folder's contract: every JSON file round-trips through its model, each file has
one writer stage, schemas are exported, and files that do not fit are refused."""

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import DEMO_PARAMS
from seglab import cli
from seglab.artifacts import (
    ARTIFACTS,
    MODELS,
    ArtifactContractError,
    RunArtifacts,
    artifact_schema,
    artifact_spec,
    dump_artifact,
    read_artifact,
    write_artifact,
)
from seglab.config import config_from_dict
from seglab.demo.campaign import write_campaign
from seglab.demo.generate import write_demo_data
from seglab.errors import DataError
from seglab.pipeline.measure import measure_run
from seglab.pipeline.runs import Run
from seglab.pipeline.stages import STAGE_FUNCTIONS, STAGES

JSON_ARTIFACTS = [a.name for a in ARTIFACTS.values() if a.model is not None]


def _small_params(data: dict, **extra) -> dict:
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    raw["data"].update(customers=str(data["customers"]), transactions=str(data["transactions"]))
    raw["columns"]["value_labels"] = str(data["value_labels"])
    raw["segmentation"].update(k_range=[2, 4], stability_runs=2, n_init=1)
    raw["report"]["pdf"] = False
    raw.update(extra)
    return raw


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def _run_stages(root: Path, cfg, stages, writers: dict | None = None) -> Path:
    """A run folder made stage by stage; ``writers`` gathers which stage wrote or changed which file."""
    run = Run.reserve(root, cfg.run_name)
    run.start(params={}, seed=cfg.seed, inputs=[])
    (run.work_dir / "params.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
    before = _digests(run.work_dir)
    for stage in stages:
        STAGE_FUNCTIONS[stage](cfg, run.work_dir)
        after = _digests(run.work_dir)
        for name, digest in after.items():
            if writers is not None and before.get(name) != digest:
                writers.setdefault(name, set()).add(stage)
        before = after
    return run.finish("complete")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run A up to its personas, then run B through every stage, compared with A."""
    root = tmp_path_factory.mktemp("artifacts")
    data = write_demo_data(root / "data", n_customers=300, seed=7)
    run_a = _run_stages(root / "reports", config_from_dict(_small_params(data), base_dir=root), STAGES[:-1])
    writers: dict[str, set[str]] = {}
    cfg_b = config_from_dict(_small_params(data, compare_to=str(run_a)), base_dir=root)
    run_b = _run_stages(root / "reports", cfg_b, STAGES, writers)
    # A campaign measured against run B's audiences: measure.json joins its artifacts.
    responses = write_campaign(run_b, root / "campaign", seed=3)["responses"]
    measure_run(run_b, responses)
    return run_a, run_b, writers


def _file(runs, name) -> Path:
    return runs[1] / name


@pytest.mark.parametrize("name", JSON_ARTIFACTS)
def test_every_json_artifact_round_trips_through_its_model_byte_for_byte(runs, name):
    doc = read_artifact(runs[1], name)
    assert isinstance(doc, ARTIFACTS[name].model)
    copy = runs[1].parent / "copy"
    write_artifact(copy, name, doc)
    assert (copy / name).read_bytes() == _file(runs, name).read_bytes()


@pytest.mark.parametrize("name", JSON_ARTIFACTS)
def test_the_exported_schema_accepts_the_file_and_forbids_unknown_fields(runs, name):
    schema = artifact_schema(name)
    data = json.loads(_file(runs, name).read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "not_a_field": 1}, schema)


_STAGE_FILES = [a.name for a in ARTIFACTS.values() if a.writer in STAGES]


def _writers_of(writers: dict, pattern: str) -> set[str] | None:
    found = [stages for name, stages in writers.items() if artifact_spec(name) is ARTIFACTS[pattern]]
    return set().union(*found) if found else None


@pytest.mark.parametrize("name", _STAGE_FILES)
def test_each_artifact_is_written_by_its_one_writer_stage(runs, name):
    _, _, writers = runs
    spec = ARTIFACTS[name]
    found = _writers_of(writers, name)
    if found is None:
        assert not spec.always, f"{name} was not written, though every run has it"
        pytest.skip(f"{name}: not made in this run")
    assert found == {spec.writer}


def test_no_stage_writes_a_file_missing_from_the_registry(runs):
    _, _, writers = runs
    unknown = [name for name in writers if artifact_spec(name) is None]
    assert not unknown, "declare every file of the run folder in seglab.artifacts.ARTIFACTS"


def test_run_artifacts_gives_typed_objects(runs):
    run_a, run_b, _ = runs
    run = RunArtifacts(run_a)
    assert run.manifest.status == "complete"
    outside = 1 if run.segmentation.outside_segmentation else 0  # the returns group is no segment found in data
    assert run.segmentation.k + outside == len(run.segments.segments) == run.assignments["segment"].nunique()
    assert run.quality.rows_clean == run.features_meta.customers.total == len(run.features)
    assert run.comparison is None
    assert RunArtifacts(run_b).comparison.run_a.endswith(run_a.name)
    assert RunArtifacts(run_b).comparison.customers.in_both == len(run.assignments)


def test_a_field_not_in_the_model_is_refused_when_written(tmp_path, runs):
    data = json.loads(_file(runs, "segments.json").read_text(encoding="utf-8"))
    data["segments"][0]["spread"] = {"a": 1}
    with pytest.raises(ArtifactContractError, match=r"seglab\.artifacts\.Segments.*segments\.0\.spread"):
        write_artifact(tmp_path, "segments.json", data)
    assert not (tmp_path / "segments.json").exists()


def test_nan_is_refused_when_written(tmp_path, runs):
    data = json.loads(_file(runs, "segmentation.json").read_text(encoding="utf-8"))
    data["smallest_share"] = float("nan")
    with pytest.raises(ArtifactContractError, match="smallest_share"):
        write_artifact(tmp_path, "segmentation.json", data)


def test_a_file_of_another_format_is_a_one_line_data_error_when_read(tmp_path, runs):
    data = json.loads(_file(runs, "segmentation.json").read_text(encoding="utf-8"))
    del data["sizes"]
    (tmp_path / "segmentation.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match=r"segmentation\.json: not in the format of this seglab version \(sizes"):
        read_artifact(tmp_path, "segmentation.json")
    with pytest.raises(DataError, match="quality.json is missing"):
        read_artifact(tmp_path, "quality.json")


def test_schema_command_lists_and_prints_artifact_schemas(capsys):
    assert cli.main(["schema", "--artifact", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(f"{key}.json" in listed for key in MODELS)
    assert cli.main(["schema", "--artifact", "segments"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "segments.json"
    assert cli.main(["schema", "--artifact", "targeting"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "targeting/targeting.json"
    assert cli.main(["schema", "--artifact", "segment"]) == 2
    assert "did you mean 'segments'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", JSON_ARTIFACTS)
def test_the_demo_runs_artifacts_round_trip(demo_run, name):
    if not (demo_run / name).exists():
        assert not ARTIFACTS[name].always
        pytest.skip(f"{name}: the demo run has none")
    doc = read_artifact(demo_run, name)
    assert json.dumps(dump_artifact(doc), indent=2, ensure_ascii=False) == (demo_run / name).read_text(encoding="utf-8")
