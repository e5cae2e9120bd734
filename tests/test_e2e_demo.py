"""A run end to end through the notebooks: the run-folder contract (docs/architecture.md §1).

The contract is checked on the smoke run (the demo at 400 customers, through the Papermill
notebooks as `seglab run` makes it); what needs the demo's full size — k=auto finding the five
planted groups and describing each recognisably — on the demo run (slow).
"""

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from markupsafe import escape
from conftest import ROOT, SMOKE_PARAMS, cli, report_of

RUN_FILES = ("report.html", "manifest.json", "params.yaml", "quality.json", "quarantine.csv", "features.json",
             "features.parquet", "assignments.csv", "segments.json", "segmentation.json", "model.joblib", "run.log",
             "id_map.csv", "segments.xlsx")
STAGE_NOTEBOOKS = ("01_clean", "02_features", "03_segment", "04_personas", "05_report")


def _input(run_dir, role) -> Path:
    return Path(yaml.safe_load((run_dir / "params.yaml").read_text(encoding="utf-8"))["data"][role])


def test_run_folder_holds_every_artifact(smoke_run):
    for name in RUN_FILES:
        assert (smoke_run / name).is_file(), name
    for stem in STAGE_NOTEBOOKS:
        assert (smoke_run / "notebooks" / f"{stem}.ipynb").is_file()
        assert (smoke_run / "notebooks" / f"{stem}.html").is_file()
    assert re.fullmatch(r"\d{8}-\d{6}(-\d+)?", smoke_run.name) and smoke_run.parent.name == "smoke"


def test_manifest_records_status_inputs_versions_and_timings(smoke_run):
    m = json.loads((smoke_run / "manifest.json").read_text())
    assert m["status"] == "complete" and m["error"] is None
    assert m["seed"] == 42 and m["params"]["run_name"] == "smoke"
    assert set(m["stages"]) >= {"clean", "features", "segment", "personas", "report"}
    assert all(s >= 0 for s in m["stages"].values())
    roles = {i["role"]: i for i in m["inputs"]}
    for role in ("customers", "transactions"):
        path = Path(roles[role]["path"])
        assert roles[role]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        with open(path, encoding="utf-8") as fh:
            assert roles[role]["rows"] == sum(1 for _ in fh) - 1
    for pkg in ("seglab", "pandas", "scikit-learn", "papermill"):
        assert m["versions"][pkg]


def test_params_yaml_is_the_resolved_params(smoke_run):
    params = yaml.safe_load((smoke_run / "params.yaml").read_text())
    assert Path(params["data"]["customers"]).is_absolute()
    assert params["segmentation"]["k"] == "auto"


def test_quality_accounts_for_every_row(smoke_run):
    q = json.loads((smoke_run / "quality.json").read_text())
    for part in [q, *q["sources"].values()]:
        assert part["rows_in"] == part["rows_clean"] + part["duplicates_merged"] + part["rows_quarantined"]
    quarantine = pd.read_csv(smoke_run / "quarantine.csv", dtype=str)
    for source, part in q["sources"].items():
        assert (quarantine["source"] == source).sum() == part["rows_quarantined"]
    raw = pd.read_csv(_input(smoke_run, "customers"), dtype=str)
    assert q["sources"]["customers"]["rows_in"] == len(raw)


def test_assignments_cover_every_clean_customer_once(smoke_run):
    q = json.loads((smoke_run / "quality.json").read_text())
    a = pd.read_csv(smoke_run / "assignments.csv", dtype={"customer_id": str})
    assert list(a.columns[:3]) == ["customer_id", "segment", "segment_name"]
    assert a["customer_id"].is_unique and len(a) == q["rows_clean"]
    seg = json.loads((smoke_run / "segmentation.json").read_text())
    segments = json.loads((smoke_run / "segments.json").read_text())["segments"]
    # the k segments found in the data, and the group of customers whose returns cancel their purchases
    group = seg.get("outside_segmentation")
    assert a["segment"].nunique() == seg["k"] + (1 if group else 0) == len(segments)
    if group:
        assert (a["segment"] == group["segment"]).sum() == group["customers"] > 0
    assert {s["name"] for s in segments} == set(a["segment_name"])
    for s in segments:
        assert s["size"] == (a["segment"] == s["id"]).sum()


def test_report_is_client_ready_offline_and_code_free(smoke_run):
    page = (smoke_run / "report.html").read_text(encoding="utf-8")
    cfg = yaml.safe_load(SMOKE_PARAMS.read_text(encoding="utf-8"))
    assert cfg["title"] in page and cfg["client"] in page
    assert smoke_run.name in page  # run id in the title block
    # offline: nothing loaded from another host, no script at all
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "@import" not in page
    imgs = re.findall(r"<img[^>]*>", page)
    assert imgs and all('src="data:image/' in i for i in imgs)
    assert all(re.search(r'alt="[^"]+"', i) for i in imgs)
    # no code, no prompts
    for marker in ("open_stage", "import ", "jp-InputArea", "In&nbsp;[", "Traceback", "render_section"):
        assert marker not in page, marker
    segments = json.loads((smoke_run / "segments.json").read_text())["segments"]
    for s in segments:
        assert str(escape(s["name"])) in page  # as the templates escape it


def test_report_has_a_table_of_contents_linking_its_sections(smoke_run):
    page = (smoke_run / "report.html").read_text(encoding="utf-8")
    toc = re.search(r'<nav class="toc">(.*?)</nav>', page, re.S).group(1)
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert len(targets) >= 5
    for t in targets:
        assert f'id="{t}"' in page


def _trie_pattern(words) -> str:
    """One regex for many literals, shaped as a trie so that matching stays linear in the text."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def test_no_personal_data_in_any_output(smoke_run):
    raw = pd.read_csv(_input(smoke_run, "customers"), dtype=str, keep_default_na=False)
    values = set()
    for col in ("name", "email", "phone"):
        # every email and phone; names of 6+ characters, and Chinese names of any length
        values |= {v.strip() for v in raw[col] if len(v.strip()) >= 6 or (len(v.strip()) >= 2 and not v.isascii())}
    pattern = re.compile(_trie_pattern(values))
    for path in smoke_run.rglob("*"):
        if path.suffix in {".html", ".json", ".csv", ".yaml", ".ipynb", ".log"}:
            # embedded images are pixels, not text: skip their base64 payloads
            text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+|\"image/png\": \"[^\"]*\"", "",
                          path.read_text(encoding="utf-8", errors="ignore"))
            hit = pattern.search(text)
            assert hit is None, f"{path.name} contains personal data: {hit.group(0)!r}"
        elif path.suffix == ".parquet":
            table = pd.read_parquet(path)
            for col in table.columns:
                if table[col].dtype == object or pd.api.types.is_string_dtype(table[col]):
                    assert not set(table[col].dropna().astype(str)) & values, f"{path.name}:{col}"


def test_appendix_pages_have_code_and_open_offline(smoke_run):
    page = (smoke_run / "notebooks" / "01_clean.html").read_text(encoding="utf-8")
    assert "Workbench" in page
    assert not re.search(r"""<(script|link)[^>]+(src|href)\s*=\s*["']?(https?:)?//""", page)


@pytest.fixture(scope="module")
def second_run(smoke_run, reports_root):
    """The smoke params again, without the notebooks (calling the stages directly)."""
    return report_of(cli("run", SMOKE_PARAMS, "--out", reports_root, "--quiet", "--no-notebooks"))


def test_second_run_gets_its_own_folder_and_both_are_indexed(smoke_run, second_run, reports_root):
    assert second_run != smoke_run and second_run.parent == smoke_run.parent
    index = (reports_root / "index.html").read_text()
    for run in (smoke_run, second_run):
        assert f'href="smoke/{run.name}/report.html"' in index
    proc = cli("runs", "--out", reports_root)
    assert proc.returncode == 0 and smoke_run.name in proc.stdout and second_run.name in proc.stdout


def test_a_run_is_deterministic(smoke_run, second_run):
    """Same params, data and seed: identical assignments (the notebook run vs a direct run)."""
    a = pd.read_csv(smoke_run / "assignments.csv", dtype=str)
    b = pd.read_csv(second_run / "assignments.csv", dtype=str)
    pd.testing.assert_frame_equal(a, b)


def test_assign_reproduces_the_run(smoke_run, tmp_path):
    out = tmp_path / "assigned.csv"
    proc = cli("assign", smoke_run / "model.joblib", _input(smoke_run, "customers"),
               "--transactions", _input(smoke_run, "transactions"), "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = pd.read_csv(out, dtype={"customer_id": str}).sort_values("customer_id").reset_index(drop=True)
    want = pd.read_csv(smoke_run / "assignments.csv", dtype={"customer_id": str}).sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_series_equal(got["segment"], want["segment"])
    pd.testing.assert_series_equal(got["segment_name"], want["segment_name"])
    pd.testing.assert_series_equal(got["rule_segment"], want["rule_segment"])


@pytest.mark.parametrize("stem", STAGE_NOTEBOOKS)
def test_executed_notebooks_record_their_parameters(smoke_run, stem):
    import nbformat

    nb = nbformat.read(smoke_run / "notebooks" / f"{stem}.ipynb", as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert Path(params["params_path"]).name == "params.yaml"
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def _planted(run_dir):
    truth = pd.read_csv(ROOT / "data" / "demo" / "truth" / "customers_truth.csv", dtype=str)
    truth = truth.drop_duplicates("customer_id")
    a = pd.read_csv(run_dir / "assignments.csv", dtype={"customer_id": str})
    return a.merge(truth[["customer_id", "planted_group"]], on="customer_id")


def test_k_auto_finds_the_planted_groups(demo_run):
    from sklearn.metrics import adjusted_rand_score

    seg = json.loads((demo_run / "segmentation.json").read_text())
    assert seg["k"] == 5, seg.get("k_reason")
    planted = _planted(demo_run)
    assert adjusted_rand_score(planted["planted_group"], planted["segment"]) >= 0.8


# What a reader must recognise in the persona that holds most of each planted group.
PLANTED_TRAITS = {
    "young_runners": ["running", "young"],
    "midage_hikers": ["hiking"],
    "bargain_hunters": ["deals", "return"],
    "high_value_loyalists": ["gold"],
    "lapsed": ["lapsed"],
}


def test_each_planted_group_is_described_recognisably(demo_run):
    planted = _planted(demo_run)
    segments = {s["id"]: s for s in json.loads((demo_run / "segments.json").read_text())["segments"]}
    for group, traits in PLANTED_TRAITS.items():
        home = planted.loc[planted["planted_group"] == group, "segment"].value_counts().idxmax()
        s = segments[home]
        text = " ".join([s["name"], *map(str, s["persona"].values())]).lower()
        for trait in traits:
            assert trait in text, f"{group}: '{trait}' not in persona {s['name']!r}: {text[:300]}"
