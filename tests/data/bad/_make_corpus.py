"""Write the bad-input corpus, the small good data set it is measured against, and README.md.

Run from anywhere: ``python tests/data/bad/_make_corpus.py``. Everything is deterministic,
so the committed files only change when this script does. Each corpus file is described
once, in CASES below, and README.md's table is generated from it.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

HERE = Path(__file__).parent
GOOD = HERE.parent / "good"
HEADER = ["customer_id", "name", "email", "phone", "gender", "age", "income", "city", "signup_date"]
TX_HEADER = ["customer_id", "order_id", "order_date", "amount"]
CITIES = ["Shanghai", "Beijing", "Chengdu", "Shenzhen"]
NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "David Wang", "Emily Chen", "Kevin Liu", "Grace Zhao"]

# file, role, extra --set overrides (space-separated), expected: "ok" or a substring of the error, what it shows
CASES = [
    ("empty.csv", "customers", "", "is empty", "a file of zero bytes"),
    ("whitespace_only.csv", "customers", "", "is empty", "only blank lines"),
    ("header_only.csv", "customers", "", "no data rows", "a header and nothing else"),
    ("colon_delimited.csv", "customers", "", "separated by ':'", "a delimiter no sniffer should guess; the message names it"),
    ("semicolon.csv", "customers", "", "ok", "a .csv that is ;-separated (European Excel)"),
    ("tab_in_csv.csv", "customers", "", "ok", "a .csv that is tab-separated"),
    ("mixed_encodings.csv", "customers", "", "mixes encodings", "UTF-8 lines, then GBK lines appended"),
    ("binary_junk.csv", "customers", "", "not a text table", "random bytes named .csv"),
    ("html_page.csv", "customers", "", "HTML", "a login page saved instead of the export"),
    ("json_export.csv", "customers", "", "JSON", "a JSON export named .csv"),
    ("old_excel.xls", "customers", "", "old Excel .xls", "a legacy .xls workbook"),
    ("missing_id_column.csv", "customers", "", "'customer_id' (columns.customer_id) not found", "no id column; the message suggests the close name 'cust_id'"),
    ("missing_pii_column.csv", "customers", "", "'phone' (columns.pii) not found", "a declared personal-data column is absent"),
    ("duplicate_header.csv", "customers", "", "appears 2 times", "two columns named email"),
    ("duplicate_ids_conflict.csv", "customers", "", "ok", "one id twice with conflicting data: merged into the most complete record"),
    ("all_missing_column.csv", "customers", "", "no usable value", "income empty in every row"),
    ("constant_column.csv", "customers", "", "ok", "city is Shanghai in every row"),
    ("numeric_text.csv", "customers", "", "are not numbers", "income written as words"),
    ("unparseable_dates.csv", "customers", "", "are not dates", "signup_date holds free text"),
    ("all_ids_missing.csv", "customers", "", "no usable customer rows", "every customer_id is empty or N/A"),
    ("single_customer.csv", "customers", "", "ok", "one customer: cleaning succeeds; a run must stop at segmentation (fewer customers than k)"),
    ("fewer_than_k.csv", "customers", "", "ok", "two customers with k = 3: cleaning succeeds; a run must stop at segmentation"),
    ("huge_value.csv", "customers", "", "ok", "income 1e400 (overflow: invalid, imputed) and 10^30 (kept)"),
    ("utf16_unicode_text.txt", "customers", "", "ok", "Excel 'Unicode text': UTF-16 with BOM, tab-separated"),
    ("gbk.csv", "customers", "", "ok", "a Chinese CRM export in GBK"),
    ("utf8_bom.csv", "customers", "", "ok", "UTF-8 with a byte-order mark"),
    ("latin1.csv", "customers", "", "ok", "Windows-1252 with accents and a euro sign"),
    ("crlf_no_final_newline.csv", "customers", "", "ok", "CRLF line ends, no newline at the end"),
    ("quoted_newlines.csv", "customers", "", "ok", "a quoted name holding a line break and a comma"),
    ("ragged_rows.csv", "customers", "", "ok", "two lines with an extra field: quarantined as malformed_line"),
    ("blank_lines.csv", "customers", "", "ok", "blank lines between rows: quarantined as empty_row"),
    ("title_block.csv", "customers", "", "ok", "a report title and a blank line above the header"),
    ("title_block.xlsx", "customers", "", "ok", "an Excel sheet with a title block above the header"),
    ("excel_saved_as_csv.csv", "customers", "", "ok", "an .xlsx workbook renamed to .csv: read by its content"),
    ("title_block.xlsx", "customers", 'data.customers={"path":"title_block.xlsx","sheet":"Sheet9"}', "sheet 'Sheet9' not found", "a sheet name that does not exist"),
    ("leading_zero_ids.csv", "customers", "data.transactions=null segmentation.features=[age,income]", "ok", "ids 0001, 0002 ... keep their zeros (customers only)"),
    ("number_formats.csv", "customers", "", "ok", "incomes like ¥1,234.50, $2,000, １２３ (full-width)"),
    ("european_numbers.csv", "customers", "", "ok", "';'-separated with 1.234,50 € amounts"),
    ("date_formats.csv", "customers", "", "ok", "dates as 2024/1/5, 05.01.2024, 2024年1月5日, 45296 (Excel serial)"),
    ("placeholder_phones.csv", "customers", "", "ok", "twelve customers share phone 00000000000: a placeholder, nobody is merged on it"),
    ("no_such_file.csv", "customers", "", "file not found", "a path that does not exist (no file in the corpus)"),
    ("tx_bad_lines.csv", "transactions", "", "ok", "zero, negative, text and missing amounts, bad and future dates: quarantined"),
    ("tx_unknown_customers.csv", "transactions", "", "no line names a customer", "transactions of another customer base"),
    ("tx_missing_amount_column.csv", "transactions", "", "'amount' (columns.transactions.amount) not found", "no amount column"),
    ("tx_month_first.csv", "transactions", "", "ok", "US dates 01/13/2024: month first, inferred from the column"),
    ("tx_quantity_price.csv", "transactions", "columns.transactions.amount=null columns.transactions.quantity=quantity columns.transactions.unit_price=unit_price", "ok", "quantity x unit_price; negative quantities are returns"),
    ("tx_only.csv", "transactions", "data.customers=null", "ok", "transactions only: customers derived from them"),
]


def main() -> None:
    rng = random.Random(7)
    GOOD.mkdir(exist_ok=True)
    customers = _customers(rng, 40)
    _write(GOOD / "customers.csv", HEADER, customers)
    _write(GOOD / "transactions.csv", TX_HEADER, _transactions(rng, customers))
    rows = customers[:12]
    bad = {
        "empty.csv": b"",
        "whitespace_only.csv": b"\n\n   \n",
        "header_only.csv": _csv(HEADER, []),
        "colon_delimited.csv": _csv(HEADER, rows, delimiter=":"),
        "semicolon.csv": _csv(HEADER, rows, delimiter=";"),
        "tab_in_csv.csv": _csv(HEADER, rows, delimiter="\t"),
        "mixed_encodings.csv": _csv(HEADER, [_set(r, name=n) for r, n in zip(rows[:6], NAMES)])
        + _csv(HEADER, [_set(r, name=n) for r, n in zip(rows[6:], NAMES)], header_line=False).decode().encode("gbk"),
        "binary_junk.csv": random.Random(3).randbytes(2048),
        "html_page.csv": b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Session expired</body></html>\n",
        "json_export.csv": b'[{"customer_id": "C001", "name": "x"}]\n',
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "missing_id_column.csv": _csv(["cust_id"] + HEADER[1:], rows),
        "missing_pii_column.csv": _csv([h for h in HEADER if h != "phone"], [[v for h, v in zip(HEADER, r) if h != "phone"] for r in rows]),
        "duplicate_header.csv": _csv(HEADER + ["email"], [r + [r[2]] for r in rows]),
        "duplicate_ids_conflict.csv": _csv(HEADER, rows + [[rows[0][0], rows[0][1], "other@example.com", "13900000000", "female", "", "", "", "2023-02-01"]]),
        "all_missing_column.csv": _csv(HEADER, [_set(r, income="") for r in rows]),
        "constant_column.csv": _csv(HEADER, [_set(r, city="Shanghai") for r in rows]),
        "numeric_text.csv": _csv(HEADER, [_set(r, income=rng.choice(["high", "low", "medium"])) for r in rows]),
        "unparseable_dates.csv": _csv(HEADER, [_set(r, signup_date=rng.choice(["soon", "last spring", "tbd"])) for r in rows]),
        "all_ids_missing.csv": _csv(HEADER, [_set(r, customer_id=rng.choice(["", "N/A"])) for r in rows]),
        "single_customer.csv": _csv(HEADER, rows[:1]),
        "fewer_than_k.csv": _csv(HEADER, rows[:2]),
        "huge_value.csv": _csv(HEADER, [_set(rows[0], income="1e400"), _set(rows[1], income="1" + "0" * 30)] + rows[2:]),
        "utf16_unicode_text.txt": _csv(HEADER, rows, delimiter="\t").decode().encode("utf-16"),
        "gbk.csv": _csv(HEADER, rows).decode().encode("gbk"),
        "utf8_bom.csv": _csv(HEADER, rows).decode().encode("utf-8-sig"),
        "latin1.csv": _csv(HEADER, [_set(r, name=n, city=c) for r, n, c in zip(rows, ["José Núñez", "Zoë Brontë", "François"] * 4, ["Zürich", "Genève", "Köln"] * 4)]).decode().encode("cp1252"),
        "crlf_no_final_newline.csv": _csv(HEADER, rows).replace(b"\n", b"\r\n").rstrip(b"\r\n"),
        "quoted_newlines.csv": _csv(HEADER, [_set(rows[0], name="Wang, Wei\n(Shanghai office)")] + rows[1:]),
        "ragged_rows.csv": _ragged(rows),
        "blank_lines.csv": _csv(HEADER, rows).replace(b"\n", b"\n\n", 3),
        "title_block.csv": b"Customer export 2024-06-30\n\n" + _csv(HEADER, rows),
        "leading_zero_ids.csv": _csv(HEADER, [_set(r, customer_id=f"{i + 1:04d}") for i, r in enumerate(rows)]),
        "number_formats.csv": _csv(HEADER, [_set(r, income=v) for r, v in zip(rows, ["¥1,234.50", "$2,000", "１２３", "RMB 88.5", "(12.00)", "3 400,25"] * 2)]),
        "european_numbers.csv": _csv(HEADER, [_set(r, income=v) for r, v in zip(rows, ["1.234,50 €", "999,00", "12.345", "7,5"] * 3)], delimiter=";"),
        "date_formats.csv": _csv(HEADER, [_set(r, signup_date=v) for r, v in zip(rows, ["2024/1/5", "05.01.2024", "2024年1月5日", "45296", "2024-01-05 14:30", "20240105"] * 2)]),
        "placeholder_phones.csv": _csv(HEADER, [_set(r, phone="00000000000", email="") for r in rows]),
    }
    tx = _transactions(random.Random(11), rows)
    bad.update({
        "tx_bad_lines.csv": _csv(TX_HEADER, tx[:20] + [
            [rows[0][0], "O9001", "2024-03-01", "0"], [rows[1][0], "O9002", "2024-03-02", "-15.00"],
            [rows[2][0], "O9003", "2024-03-03", "twelve"], [rows[3][0], "O9004", "2024-03-04", ""],
            [rows[4][0], "O9005", "2024-02-30", "10.00"], [rows[5][0], "O9006", "2091-01-01", "10.00"],
            [rows[6][0], "CO9007", "2024-03-05", "-20.00"], ["", "O9008", "2024-03-06", "9.00"]]),
        "tx_unknown_customers.csv": _csv(TX_HEADER, [[f"X{int(r[0][1:]) + 500}"] + r[1:] for r in tx[:15]]),
        "tx_missing_amount_column.csv": _csv(TX_HEADER[:3], [r[:3] for r in tx[:15]]),
        "tx_month_first.csv": _csv(TX_HEADER, [r[:2] + [_us(r[2])] + r[3:] for r in tx[:30]]),
        "tx_quantity_price.csv": _csv(["customer_id", "order_id", "order_date", "quantity", "unit_price"],
                                      [r[:3] + [q, f"{float(r[3]) / abs(int(q)):.2f}"] for r, q in zip(tx[:24], ["1", "2", "-1", "3"] * 6)]),
        "tx_only.csv": _csv(TX_HEADER + HEADER[1:], [r + _row_of(r[0], rows)[1:] for r in tx[:30]]),
    })
    for name, data in bad.items():
        (HERE / name).write_bytes(data)
    _xlsx(HERE / "title_block.xlsx", rows)
    _xlsx(HERE / "excel_saved_as_csv.csv", rows, title=False)
    _readme()


def _customers(rng, n):
    out = []
    for i in range(1, n + 1):
        name = rng.choice(NAMES)
        out.append([f"C{i:03d}", name, f"user{i}@example.com", f"13{rng.randrange(10**9):09d}", rng.choice(["male", "female"]),
                    str(rng.randrange(18, 70)), f"{rng.uniform(20, 300):.1f}", rng.choice(CITIES),
                    f"20{rng.randrange(18, 24)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"])
    return out


def _transactions(rng, customers):
    out, n = [], 0
    for c in customers:
        for _ in range(rng.randrange(2, 6)):
            n += 1
            out.append([c[0], f"O{n:05d}", f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}", f"{rng.uniform(5, 500):.2f}"])
    return out


def _set(row, **values):
    return [values.get(h, v) for h, v in zip(HEADER, row)]


def _row_of(cid, rows):
    return next(r for r in rows if r[0] == cid)


def _us(iso):
    y, m, d = iso.split("-")
    return f"{m}/{d}/{y}"


def _csv(header, rows, delimiter=",", header_line=True) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if header_line:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _write(path, header, rows):
    path.write_bytes(_csv(header, rows))


def _ragged(rows) -> bytes:
    lines = _csv(HEADER, rows).decode().splitlines()
    lines[3] += ",extra"
    lines[7] += ",one,two"
    return ("\n".join(lines) + "\n").encode()


def _xlsx(path, rows, title=True):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["Customer list – exported 2024-06-30"])
        ws.append(["Confidential"])
        ws.append([])
    ws.append(HEADER)
    for r in rows:
        ws.append([int(v) if h == "age" else float(v) if h == "income" else v for h, v in zip(HEADER, r)])
    wb.save(path)


def _readme() -> None:
    lines = [
        "# Bad-input corpus",
        "",
        "Each file is run as the `role` input of `params.yaml` (the other input stays the small good data set",
        "in `../good/`): `seglab run tests/data/bad/params.yaml --set data.<role>=<file> [set ...]`. The",
        "expected outcome is `ok` (cleaning succeeds, with every row accounted for in quality.json), or a",
        "substring of the one-line error (exit code 2, no traceback). Generated by `_make_corpus.py`;",
        "edit CASES there, not this table.",
        "",
        "| file | role | set | expected | what it is |",
        "|---|---|---|---|---|",
    ]
    for name, role, extra, expected, what in CASES:
        lines.append(f"| {name} | {role} | {extra} | {expected} | {what} |")
    (HERE / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
