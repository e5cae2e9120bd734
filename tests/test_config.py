"""Params: unknown keys, wrong values, path resolution, overrides, schema."""

import json
from pathlib import Path

import pytest
import yaml
from seglab.config import RunConfig, json_schema, load_config
from seglab.errors import ParamsError

MINIMAL = {"run_name": "t", "data": {"customers": "customers.csv"}}


def write(tmp_path, raw, name="p.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_minimal_params_get_documented_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.segmentation.k == "auto"
    assert cfg.segmentation.k_range == (2, 8)
    assert cfg.language == "en"
    assert cfg.data.customers == (tmp_path / "customers.csv").resolve()


def test_relative_paths_resolve_against_the_params_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SEGLAB_REPORTS", raising=False)
    sub = tmp_path / "params"
    sub.mkdir()
    raw = {"run_name": "t", "data": {"customers": "../data/c.csv", "transactions": {"path": "t.tsv", "delimiter": "\t"}}}
    cfg = load_config(write(sub, raw))
    assert cfg.data.customers == (tmp_path / "data" / "c.csv").resolve()
    assert cfg.data.transactions.path == (sub / "t.tsv").resolve()
    assert cfg.reports_root() == tmp_path / "reports"


def test_reports_root_is_output_dir_then_seglab_reports_then_beside_params(tmp_path, monkeypatch):
    sub = tmp_path / "params"
    sub.mkdir()
    monkeypatch.delenv("SEGLAB_REPORTS", raising=False)
    assert load_config(write(sub, MINIMAL)).reports_root() == tmp_path / "reports"
    monkeypatch.setenv("SEGLAB_REPORTS", str(tmp_path / "srv"))
    assert load_config(write(sub, MINIMAL)).reports_root() == tmp_path / "srv"
    assert load_config(write(sub, {**MINIMAL, "output_dir": "out"})).reports_root() == sub / "out"


def test_every_key_of_the_schema_is_described():
    """Editors show these descriptions on hover and in completion (`seglab schema`)."""
    schema = json_schema()
    missing = [f"{where}.{name}" for where, node in [("(top)", schema), *schema["$defs"].items()]
               for name, prop in node.get("properties", {}).items() if not prop.get("description")]
    assert missing == [], f"add a Field(description=...) in seglab/config.py for: {', '.join(missing)}"


def test_sqlite_url_resolves_against_the_params_folder(tmp_path):
    raw = {"run_name": "t", "data": {"customers": {"sql": "select * from c", "url": "sqlite:///crm.db"}}}
    cfg = load_config(write(tmp_path, raw))
    assert cfg.data.customers.url == f"sqlite:///{(tmp_path / 'crm.db').resolve()}"


@pytest.mark.parametrize("raw, expected", [
    ({**MINIMAL, "segmentaton": {}}, "unknown key 'segmentaton'; did you mean 'segmentation'?"),
    ({**MINIMAL, "segmentation": {"methd": "kmeans"}}, "unknown key 'segmentation.methd'; did you mean 'method'?"),
    ({**MINIMAL, "segmentation": {"k": 1}}, "segmentation.k: must be 'auto' or an integer >= 2, got 1"),
    ({**MINIMAL, "segmentation": {"k": "many"}}, "segmentation.k"),
    ({**MINIMAL, "segmentation": {"k_range": [5, 3]}}, "segmentation.k_range"),
    ({**MINIMAL, "segmentation": {"method": "dbscan"}}, "segmentation.method"),
    ({**MINIMAL, "run_name": "My Run"}, "run_name: must use only a-z"),
    ({**MINIMAL, "language": "fr"}, "language"),
    ({"run_name": "t"}, "missing required key 'data'"),
    ({"run_name": "t", "data": {}}, "data"),
    ({**MINIMAL, "data": {"customers": {"path": "c.xlsx", "sheeet": 1}}}, "did you mean 'sheet'?"),
    ({**MINIMAL, "cleaning": {"ranges": {"age": [1, 2, 3]}}}, "cleaning.ranges.age"),
])
def test_bad_params_name_the_key_and_the_problem(tmp_path, raw, expected):
    with pytest.raises(ParamsError, match=None) as info:
        load_config(write(tmp_path, raw))
    message = str(info.value)
    assert expected in message
    assert str(tmp_path / "p.yaml") in message
    assert "\n" not in message


def test_missing_file_and_bad_yaml_are_one_line_errors(tmp_path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("run_name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="must be a mapping"):
        load_config(listy)


def test_overrides_are_parsed_as_yaml_and_validated(tmp_path):
    path = write(tmp_path, MINIMAL)
    cfg = load_config(path, ["segmentation.k=5", "segmentation.k_range=[3, 6]", "title=Q3 review",
                             "personas.names={0: Champions}"])
    assert cfg.segmentation.k == 5
    assert cfg.segmentation.k_range == (3, 6)
    assert cfg.title == "Q3 review"
    assert cfg.personas.names == {0: "Champions"}
    with pytest.raises(ParamsError, match="segmentation.k"):
        load_config(path, ["segmentation.k=1"])
    with pytest.raises(ParamsError, match="key.path=value"):
        load_config(path, ["segmentation.k"])
    with pytest.raises(ParamsError, match="did you mean 'segmentation'"):
        load_config(path, ["segmentaton.k=3"])


def test_resolved_params_round_trip(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL), ["segmentation.k=4"])
    again = RunConfig.model_validate(yaml.safe_load(cfg.to_yaml()))
    assert again.segmentation.k == 4
    assert Path(again.data.customers) == cfg.data.customers


def test_json_schema_describes_and_checks_the_demo_params():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert {"run_name", "data", "segmentation", "columns", "cleaning"} <= set(schema["properties"])
    demo = yaml.safe_load((Path(__file__).parents[1] / "params" / "demo.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(demo, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**demo, "segmentaton": {}}, schema)
    json.dumps(schema)


def test_every_committed_params_file_validates():
    for path in sorted((Path(__file__).parents[1] / "params").glob("*.yaml")):
        load_config(path)


def test_paths_given_with_set_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "params").mkdir()
    path = write(tmp_path / "params", MINIMAL)
    monkeypatch.chdir(tmp_path)
    cfg = load_config(path, ["data.transactions=exports/tx.csv", "data.customers={path: c.xlsx, sheet: 1}"])
    assert cfg.data.transactions == (tmp_path / "exports" / "tx.csv").resolve()
    assert cfg.data.customers.path == (tmp_path / "c.xlsx").resolve()


def test_lifecycle_thresholds_must_nest(tmp_path):
    with pytest.raises(ParamsError, match="features.lifecycle: need new_days <= active_days < churned_days"):
        load_config(write(tmp_path, {**MINIMAL, "features": {"lifecycle": {"new_days": 90, "active_days": 45}}}))
    load_config(write(tmp_path, {**MINIMAL, "features": {"lifecycle": {"new_days": 45, "active_days": 45,
                                                                        "churned_days": 120}}}))
