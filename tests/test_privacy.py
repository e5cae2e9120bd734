"""Pseudonymisation: keyed hashes, the project key, and no personal value in any artifact."""

import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from seglab.clean.stage import clean_stage
from seglab.config import config_from_dict
from seglab.errors import DataError
from seglab.io.privacy import (
    HASH_CHARS,
    SECRET_ENV,
    find_personal_data,
    get_secret,
    personal_kind,
    pseudonymise,
    secret_path,
)
from seglab.validation import validate

ROOT = Path(__file__).parents[1]
PEOPLE = [("王伟", "Wang.Wei@QQ.com", "+86 138-1234-5678"), ("Zoë Núñez", "zoe@example.com", "13900000000"),
          ("David Chen", "david.chen@163.com", "0086 13700000000")]


@pytest.fixture(autouse=True)
def _reports_beside_params(monkeypatch):
    """These tests place the key beside the default reports root, not the test session's."""
    monkeypatch.delenv("SEGLAB_REPORTS", raising=False)


def cfg_in(tmp_path, **data):
    raw = {"run_name": "p", "data": {"customers": "customers.csv", **data},
           "columns": {"pii": ["name", "email", "phone"], "numeric": ["age"], "categorical": ["city"],
                       "transactions": {"customer_id": "customer_id", "date": "order_date", "amount": "amount",
                                        "order_id": "order_id"}},
           "cleaning": {"dedupe_on": ["email", "phone"], "missing": {"numeric": "quarantine"}}}
    return config_from_dict(raw, base_dir=tmp_path, source=tmp_path / "params" / "p.yaml")


def test_keyed_hash_is_stable_per_key_and_keeps_missing_values():
    values = pd.Series(["a@x.com", "b@x.com", None, "a@x.com"], dtype="str")
    one, two = pseudonymise(values, b"k1"), pseudonymise(values, b"k2")
    assert one[0] == one[3] != one[1] and pd.isna(one[2])
    assert one[0] != two[0] and len(one[0]) == HASH_CHARS and int(one[0], 16) >= 0


def test_the_environment_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert get_secret(cfg_in(tmp_path)) == b"from-env"
    assert not secret_path(cfg_in(tmp_path)).exists()


def test_project_secret_file_is_made_once_private_and_git_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    cfg = cfg_in(tmp_path)
    key = get_secret(cfg)
    path = secret_path(cfg)
    assert path == tmp_path / ".seglab-secret" and path.exists()  # params/../reports -> beside reports/
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32
    assert get_secret(cfg) == key  # reused, so runs of one project hash alike
    ignored = subprocess.run(["git", "check-ignore", "-q", str(ROOT / ".seglab-secret")], cwd=ROOT)
    assert ignored.returncode == 0, ".seglab-secret must be listed in .gitignore"


def test_no_personal_value_reaches_any_artifact(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test-key")
    rows = ["customer_id,name,email,phone,age,city"]
    rows += [f"C{i},{n},{e},{p},{30 + i},Shanghai" for i, (n, e, p) in enumerate(PEOPLE)]
    rows += [f"C9,{PEOPLE[0][0]},{PEOPLE[0][1]},13500000000,,Beijing"]  # another phone; quarantined: no age
    rows += ["C8,Li Lei,li.lei@example.com,13600000000,bad,x,y"]  # malformed: one field too many
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "transactions.csv").write_text(
        "customer_id,order_id,order_date,amount,email\nC0,O1,2024-01-01,5,Wang.Wei@QQ.com\nC7,O2,2024-01-01,5,x@y.z\n",
        encoding="utf-8")
    out = tmp_path / "run"
    clean_stage(cfg_in(tmp_path, transactions="transactions.csv"), out)
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str)
    assert set(quarantine["rule"]) == {"missing_value", "malformed_line", "unknown_customer"}
    forms = set()
    for name, email, phone in PEOPLE + [("Li Lei", "li.lei@example.com", "13600000000"), ("", "x@y.z", "")]:
        forms |= {name, email, email.lower(), phone, "".join(ch for ch in phone if ch.isdigit())}
    forms |= {"Zoe", "Núñez", "13812345678", "8613812345678", "13500000000"}
    forms.discard("")
    for path in out.iterdir():
        text = path.read_bytes().decode("utf-8", errors="ignore") if path.suffix != ".parquet" else \
            pd.read_parquet(path).to_csv()
        leaked = [f for f in forms if f in text]
        assert not leaked, f"{path.name} holds personal data: {leaked}"
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table["email"].str.fullmatch(f"[0-9a-f]{{{HASH_CHARS}}}").all()
    # the same person is hashed alike wherever it appears
    hashed = dict(zip(table["customer_id"], table["email"]))
    row = quarantine[quarantine["customer_id"] == "C9"].iloc[0]
    assert row["email"] == hashed["C0"] and row["name"] == table.loc[table["customer_id"] == "C0", "name"].iloc[0]


def test_the_key_file_is_never_seen_empty_by_a_concurrent_run(tmp_path, monkeypatch):
    """Issue 13, finding 8: the key used to be created empty and filled afterwards."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    import threading

    failures, keys = [], []
    for trial in range(150):
        cfg = cfg_in(tmp_path / str(trial))
        barrier = threading.Barrier(3)

        def take():
            barrier.wait()
            try:
                keys.append(get_secret(cfg))
            except Exception as exc:  # noqa: BLE001 - counted, not raised, so every trial runs
                failures.append(repr(exc))

        threads = [threading.Thread(target=take) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(keys[-3:])) <= 1, "two runs of one project got different keys"
    assert failures == []
    assert not list(tmp_path.rglob(".seglab-secret-*")), "temporary key files are cleaned up"


# ------------------------------------------------------------ issue 13, finding 5

def _files_text(out):
    for path in sorted(out.iterdir()):
        if path.is_file():
            yield path.name, (pd.read_parquet(path).to_csv() if path.suffix == ".parquet"
                              else path.read_bytes().decode("utf-8", errors="ignore"))


def _email_ids(tmp_path, **extra):
    rows = ["customer_id,name,age,city,contact"]
    rows += [f"{e},{n},{30 + i},Shanghai,{p}" for i, (n, e, p) in enumerate(PEOPLE)]
    rows += ["nobody@example.com,Li Lei,,Beijing,+86 139 0000 0000"]  # quarantined: no age
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "transactions.csv").write_text(
        "customer_id,order_id,order_date,amount\n"
        + "".join(f"{e},O{i},2024-01-0{i + 1},5\n" for i, (_, e, _) in enumerate(PEOPLE))
        + "stranger@example.com,O9,2024-01-05,5\n", encoding="utf-8")
    raw = {"run_name": "p", "data": {"customers": "customers.csv", "transactions": "transactions.csv"},
           "columns": {"pii": ["name"], "numeric": ["age"], "categorical": ["city", "contact"],
                       "transactions": {"customer_id": "customer_id", "date": "order_date", "amount": "amount",
                                        "order_id": "order_id"}},
           "cleaning": {"missing": {"numeric": "quarantine"}}, **extra}
    return config_from_dict(raw, base_dir=tmp_path, source=tmp_path / "params" / "p.yaml")


def test_ids_are_pseudonymised_alike_in_every_file(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test-key")
    cfg = _email_ids(tmp_path, privacy={"pseudonymise_ids": True, "undeclared": "hash"})
    out = tmp_path / "run"
    validate(cfg, check_output=False, fitting=False)
    clean_stage(cfg, out)
    emails = [e for _, e, _ in PEOPLE] + ["nobody@example.com", "stranger@example.com"]
    for name, text in _files_text(out):
        leaked = [e for e in emails if e in text or e.upper() in text]
        assert not leaked, f"{name} holds ids: {leaked}"
    customers = pd.read_parquet(out / "customers_clean.parquet")
    lines = pd.read_parquet(out / "transactions_clean.parquet")
    assert customers["customer_id"].str.fullmatch(f"[0-9a-f]{{{HASH_CHARS}}}").all()
    assert set(lines["customer_id"]) <= set(customers["customer_id"]) and len(set(lines["customer_id"])) == 3
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str)
    expected = pseudonymise(pd.Series(["nobody@example.com"], dtype="str"), b"test-key")[0]
    assert expected in set(quarantine["customer_id"])  # the same hash the id would have had everywhere


def test_an_id_column_listed_as_personal_data_means_pseudonymised_ids(tmp_path):
    cfg = _email_ids(tmp_path)
    cfg = config_from_dict({**cfg.model_dump(mode="json", exclude={"source_path"}),
                            "columns": {**cfg.columns.model_dump(), "pii": ["customer_id", "name"]}},
                           base_dir=tmp_path)
    assert cfg.privacy.pseudonymise_ids and cfg.columns.pii == ["name"]


@pytest.mark.parametrize("mode", ["warn", "hash", "error"])
def test_undeclared_personal_data_is_handled_as_asked(tmp_path, monkeypatch, mode):
    monkeypatch.setenv(SECRET_ENV, "test-key")
    cfg = _email_ids(tmp_path, privacy={"pseudonymise_ids": True, "undeclared": mode})
    out = tmp_path / "run"
    if mode == "error":
        with pytest.raises(DataError) as err:
            validate(cfg, check_output=False, fitting=False)
        message = str(err.value)
        assert "column 'contact' holds personal data" in message and "phone" in message
        assert not any(p in message for _, _, p in PEOPLE) and "\n" not in message
        return
    validate(cfg, check_output=False, fitting=False)
    quality = clean_stage(cfg, out)
    (finding,) = quality["personal_data"]["findings"]
    assert finding["column"] == "contact" and finding["kinds"] == {"phone": 4}
    contact = pd.read_parquet(out / "customers_clean.parquet")["contact"]
    if mode == "warn":
        assert finding["handled"] == "kept (warning)" and contact.str.contains(r"\d{4}").all()
    else:
        assert finding["handled"] == "hashed" and contact.str.fullmatch(f"[0-9a-f]{{{HASH_CHARS}}}").all()
        for name, text in _files_text(out):
            assert "139 0000 0000" not in text and "13900000000" not in text, name


def test_repairs_and_quarantine_never_hold_a_personal_value_typed_in_another_column(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test-key")
    rows = ["customer_id,name,age,income"] + [f"C{i},P{i},{30 + i},{100 + i}" for i in range(8)]
    rows += ["C8,P8,40,wang.wei@qq.com", "C9,P9,41,4111 1111 1111 1111", "C10,P10,,11010519491231002X"]
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    raw = {"run_name": "p", "data": {"customers": "customers.csv"},
           "columns": {"pii": ["name"], "numeric": ["age", "income"]},
           "cleaning": {"missing": {"numeric": "median", "columns": {"age": "quarantine"}}}}
    cfg = config_from_dict(raw, base_dir=tmp_path, source=tmp_path / "params" / "p.yaml")
    validate(cfg, check_output=False, fitting=False)
    clean_stage(cfg, tmp_path / "run")
    repairs = (tmp_path / "run" / "repairs.csv").read_text(encoding="utf-8")
    quarantine = (tmp_path / "run" / "quarantine.csv").read_text(encoding="utf-8")
    assert "bad_number" in repairs or "imputed" in repairs
    for value in ("wang.wei@qq.com", "4111 1111 1111 1111", "11010519491231002X"):
        assert value not in repairs and value not in quarantine, value
    assert pseudonymise(pd.Series(["wang.wei@qq.com"], dtype="str"), b"test-key")[0] in repairs


def test_personal_data_is_recognised_by_its_shape():
    kinds = [personal_kind(v) for v in ("Wang.Wei@QQ.com", "+86 138-1234-5678", "13812345678", "(555) 123-4567",
                                          "11010519491231002X", "4111 1111 1111 1111", "6200000000000005")]
    assert kinds == ["e-mail", "phone", "phone", "phone", "resident ID", "bank card", "bank card"]
    for harmless in ("110105194912310021", "1234567812345678", "2024-01-05", "C000123", "0001", "-1234.50", "Shanghai"):
        assert personal_kind(harmless) is None, harmless
    ids = pd.Series([str(10**15 + 7919 * i) for i in range(500)])  # 16-digit ids: a tenth pass Luhn by chance
    assert find_personal_data(ids) == {}
    assert find_personal_data(pd.Series(["4111111111111111", "5500005555555559", "378282246310005"])) == {"bank card": 3}
    assert find_personal_data(pd.Series(["Dennis Kane", "Neil Französisch", "Ed Braxton"])) == {"personal name": 3}
