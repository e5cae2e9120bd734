"""One text route: seglab's words come from the language tables, the data's values from the
params' value labels (often a file beside the data), never from the library's tables."""

import typing

import pytest
import yaml
from conftest import DEMO_PARAMS, ROOT
from seglab import i18n
from seglab.config import RunConfig, config_from_dict, load_config
from seglab.errors import ParamsError

# The values seglab itself derives, whose words belong to the tables.
DERIVED = ("value_rfm_segment_", "value_lifecycle_", "value_buyer_type_")
NOT_VALUES = {"value_basis_predicted", "value_basis_history", "value_basis_none", "value_risk_intro",
              "value_risk_none", "value_yes", "value_no"}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_tables_label_only_values_seglab_derives(language):
    data_values = [k for k in i18n.table(language) if k.startswith("value_")
                   and not k.startswith(DERIVED) and k not in NOT_VALUES]
    assert not data_values, f"labels of data values belong in the params' columns.value_labels: {data_values}"


def test_the_languages_are_the_table_files_and_the_params_accept_exactly_them():
    files = sorted(p.stem for p in (ROOT / "lib" / "seglab" / "i18n").glob("*.json"))
    assert list(i18n.LANGUAGES) == files
    assert typing.get_args(RunConfig.model_fields["language"].annotation) == i18n.LANGUAGES


def test_value_labels_apply_within_their_block_only():
    assert i18n.value_label("city", "Shanghai", "zh") == "Shanghai"
    with i18n.value_labels({"city": {"shanghai": "上海"}}):
        assert i18n.value_label("city", "Shanghai", "zh") == "上海"  # values match case-insensitively
        assert i18n.value_label("region", "Shanghai", "zh") == "Shanghai"  # per column
        with i18n.value_labels({}):
            assert i18n.value_label("city", "Shanghai", "zh") == "Shanghai"
        assert i18n.value_label("city", "Shanghai", "zh") == "上海"
    assert i18n.value_label("city", "Shanghai", "zh") == "Shanghai"
    assert i18n.value_label("rfm_segment", "Champions", "zh") == i18n.t("value_rfm_segment_Champions", "zh")


def _raw(**columns):
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    raw["columns"].update({"value_labels": {}, **columns})
    return raw


def test_the_demo_params_read_the_labels_written_beside_the_data():
    cfg = load_config(DEMO_PARAMS)
    assert cfg.columns.value_labels_in("zh")["interest"]["running"] == "跑步"
    assert cfg.columns.value_labels_in("en") == {}
    # The run folder's params.yaml carries the labels themselves: it stands on its own.
    assert "跑步" in cfg.to_yaml()


def test_value_labels_from_a_file_resolve_against_the_params_folder(tmp_path):
    (tmp_path / "labels.yaml").write_text("zh:\n  code:\n    1: 一级\n", encoding="utf-8")
    cfg = config_from_dict(_raw(value_labels="labels.yaml"), base_dir=tmp_path)
    assert cfg.columns.value_labels_in("zh") == {"code": {"1": "一级"}}  # YAML numbers read as the data's text


@pytest.mark.parametrize(("labels", "message"), [
    ("missing.yaml", r"columns.value_labels: .*missing.yaml: file not found"),
    ({"zn": {"city": {"Shanghai": "上海"}}}, r"^params: columns.value_labels: 'zn' is not a report language \(one of en, zh\)"),
    ({"zh": ["Shanghai"]}, r"columns.value_labels.zh: Input should be a valid dictionary"),
])
def test_bad_value_labels_are_one_line_params_errors(tmp_path, labels, message):
    with pytest.raises(ParamsError, match=message):
        config_from_dict(_raw(value_labels=labels), base_dir=tmp_path)


def test_a_labels_file_that_is_not_yaml_names_the_file(tmp_path):
    (tmp_path / "labels.yaml").write_text("zh: [unclosed\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"labels.yaml: not a readable UTF-8 YAML file"):
        config_from_dict(_raw(value_labels="labels.yaml"), base_dir=tmp_path)


def test_a_labels_file_of_the_wrong_shape_says_the_shape(tmp_path):
    (tmp_path / "labels.yaml").write_text("zh:\n  - Shanghai\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"labels.yaml: write labels as language -> column -> value -> label"):
        config_from_dict(_raw(value_labels="labels.yaml"), base_dir=tmp_path)
