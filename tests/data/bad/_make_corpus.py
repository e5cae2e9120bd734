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
    ("single_customer.csv", "customers", "", "has 1 customer(s), too few for 3 segments", "one customer: found by validate, before any run folder (segmentation.k)"),
    ("fewer_than_k.csv", "customers", "", "has 2 customer(s), too few for 3 segments", "two customers with k = 3: found by validate (segmentation.k)"),
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
    ("tx_bad_lines.csv", "transactions", "", "ok", "negative, text and missing amounts, bad and future dates: quarantined; a zero amount is kept as a free purchase"),
    ("tx_unknown_customers.csv", "transactions", "", "no line names a customer", "transactions of another customer base"),
    ("tx_missing_amount_column.csv", "transactions", "", "'amount' (columns.transactions.amount) not found", "no amount column"),
    ("tx_month_first.csv", "transactions", "", "ok", "US dates 01/13/2024: month first, inferred from the column"),
    ("tx_quantity_price.csv", "transactions", "columns.transactions.amount=null columns.transactions.quantity=quantity columns.transactions.unit_price=unit_price", "ok", "quantity x unit_price; negative quantities are returns"),
    ("tx_only.csv", "transactions", "data.customers=null", "ok", "transactions only: customers derived from them"),
    # ---- params mistakes, on the good data ("-": no file replaced); found by validate, before any run folder
    ("-", "customers", "segmentaton.k=3", "unknown key 'segmentaton'", "a misspelt section"),
    ("-", "customers", "segmentation.k=five", "segmentation.k", "k that is not a number"),
    ("-", "customers", "segmentation.k=1", "got 1", "k below 2"),
    ("-", "customers", "segmentation.k_range=[5,2]", "segmentation.k_range", "a k range that runs backwards"),
    ("-", "customers", "segmentation.min_segment_share=1.5", "segmentation.min_segment_share", "a share above 1"),
    ("-", "customers", "segmentation.method=dbscan", "segmentation.method", "a method seglab does not have"),
    ("-", "customers", "language=fr", "language", "a report language without a text table"),
    ("-", "customers", "run_name=My_Run", "run_name", "a run name with capitals (it names a folder)"),
    ("-", "customers", "run_name=_tmp", "must not start with '_'", "a run name that `seglab runs` would never list"),
    ("-", "customers", "report.sections=[summary,appendix]", "report.sections", "a report section that does not exist"),
    ("-", "customers", 'segmentation.method=rules segmentation.rules=[{"name":"a","when":"age>30"},{"name":"a","when":"age<=30"}]', "is used twice", "two rules with one name"),
    ("-", "customers", 'segmentation.method=rules segmentation.rules=[{"name":"a","when":"__import__(\'os\').system(\'id\')"}]', "segmentation.rules[0].when", "a rule condition that is code (never run)"),
    ("-", "customers", 'segmentation.method=rules segmentation.rules=[{"name":"a","when":"age>>>3"}]', "segmentation.rules[0].when", "a rule condition that does not parse"),
    ("-", "customers", 'segmentation.method=rules segmentation.bins=[{"column":"age","edges":[0,30,60],"labels":["young"]}]', "labels", "bin labels that do not fit the edges"),
    ("-", "customers", 'segmentation.method=rules segmentation.bins=[{"column":"age","edges":[60,30]}]', "increasing edges", "bin edges that run backwards"),
    ("-", "customers", 'segmentation.method=rules segmentation.bins=[{"column":"age"},{"column":"income"},{"column":"city"}]', "one or two dimensions", "three binned dimensions"),
    ("-", "customers", "segmentation.method=rules", "needs segmentation.rules", "method rules without rules or bins"),
    ("-", "customers", 'cleaning.ranges={"age":[90,10]}', "the low end 90.0 is above the high end 10.0", "a range whose ends are swapped"),
    ("-", "customers", 'cleaning.ranges={"city":[0,1]}', "not declared under columns.numeric", "a range on a categorical column"),
    ("-", "customers", 'cleaning.categories={"age":{"x":"y"}}', "cleaning.categories.age", "a category map on a numeric column"),
    ("-", "customers", 'cleaning.missing.columns={"email":"median"}', "cleaning.missing.columns.email", "a fill rule for personal data"),
    ("-", "customers", 'cleaning.missing.columns={"age":{"strategy":"constant"}}', "needs a value", "a constant fill without its value"),
    ("-", "customers", 'features.lifecycle={"new_days":100,"active_days":50}', "new_days <= active_days", "lifecycle thresholds out of order"),
    ("-", "customers", "cleaning.date_formats.signup_date=%Q-%m", "'%Q' is not a date directive", "a strftime directive that does not exist (was exit 1, and a failed run folder)"),
    ("-", "customers", "cleaning.date_formats.signup_date=%H:%M", "no day, month or year directive", "a date format without a date in it"),
    ("-", "customers", "data.encoding=utf-9", "did you mean 'utf-8'", "an unknown encoding name (was exit 1)"),
    ("-", "customers", 'data.customers={"path":"../good/customers.csv","encoding":"klingon"}', "data.customers.encoding", "an unknown per-file encoding"),
    ("-", "customers", "data.as_of=yesterday", "data.as_of", "a reference date that is not a date"),
    ("-", "customers", "data.customers=null data.transactions=null", "give data.customers, data.transactions or both", "no input at all"),
    ("-", "customers", 'personas.names={"0":"Fans","1":"fans"}', "both named", "two segments with one name"),
    ("-", "customers", 'personas.names={"7":"Fans"}', "no segment 7", "a name for a segment that cannot exist with k = 3"),
    ("-", "customers", "data.transactions=null segmentation.method=rfm", "needs transactions", "the RFM map without transactions"),
    ("-", "customers", "privacy.undeclared=maybe", "privacy.undeclared", "an unknown privacy mode"),
    ("-", "customers", "seed=abc", "seed", "a seed that is not a number"),
    ("-", "customers", "columns.numeric=[agee,income]", "'agee' (columns.numeric) not found", "a typo in a column name, blamed where it was written (not on cleaning.ranges)"),
    ("-", "customers", "columns.categorical=[gender] segmentation.features=[age,income,city]", "declare it under columns.numeric or columns.categorical", "a feature that is in the file but not declared (was 'unknown column' after 17 s)"),
    ("-", "customers", "segmentation.features=[age,email]", "personal data (columns.pii)", "personal data as a segmentation feature"),
    ("-", "customers", "segmentation.features=[age,signup_date]", "is a date column", "a date as a segmentation feature"),
    ("-", "customers", "data.transactions=null segmentation.features=[age,recency]", "need data.transactions", "a transaction feature without transactions"),
    ("-", "customers", 'segmentation.method=rules segmentation.rules=[{"name":"a","when":"agge>30"}]', "unknown column 'agge'", "a rule on a misspelt column"),
    ("-", "customers", "segmentation.log_transform=[city]", "segmentation.log_transform", "a log transform of a categorical column"),
    ("-", "customers", "data.as_of=2000-01-01", "data.as_of: 2000-01-01 is before", "a reference date before all the data, blamed on data.as_of"),
    ("-", "customers", "columns.pii=[email,phone] cleaning.fuzzy_names=true", "cleaning.fuzzy_names", "fuzzy name matching without a name column"),
    ("-", "customers", "segmentation.k=50", "too few for 50 segments", "more segments than customers"),
    ("-", "customers", "columns.customer_id=null", "columns.customer_id", "transactions but no customer id column to join them on"),
    ("-", "transactions", "columns.transactions.amount=amout", "'amout' (columns.transactions.amount) not found", "a misspelt transaction column"),
    ("-", "customers", "privacy.undeclared=error columns.pii=[name,phone] cleaning.dedupe_on=[phone]", "column 'email' holds personal data", "e-mail addresses in a column not declared as personal data, privacy.undeclared: error"),
    ("title_block.xlsx", "customers", 'data.customers={"path":"title_block.xlsx","sheet":5}', "sheet index 5 does not exist", "a sheet index past the last sheet"),
    ("semicolon.csv", "customers", 'data.customers={"path":"semicolon.csv","header_row":99}', "header_row 99", "a header row past the end of the file"),
    ("semicolon.csv", "customers", 'data.customers={"path":"semicolon.csv","delimiter":","}', "separated by ';'", "a wrong delimiter given in the params"),
    ("latin1.csv", "customers", "data.encoding=utf-8", "is not valid utf-8", "Windows-1252 bytes read as declared UTF-8"),
    # ---- files that stop with one clear line
    ("no_header.csv", "customers", "", "looks like data, not column names", "an export without a header row: no name, e-mail or phone is printed (they went to cron logs)"),
    ("us_dates.csv", "customers", "cleaning.date_formats.signup_date=%d/%m/%Y", "set cleaning.date_formats.signup_date: '%m/%d/%Y'", "a date format that does not match: a failing value and the right format shown"),
    ("tx_future_dates.csv", "transactions", "", "after today", "every transaction dated in 2091 (a clock or format problem)"),
    ("city_empty.csv", "customers", "cleaning.required=[city]", "cleaning.required", "a required column that is empty in every row"),
    ("undeclared_contact.csv", "customers", "columns.categorical=[gender,city,contact] privacy.undeclared=error", "column 'contact' holds personal data", "phone numbers in a categorical column, privacy.undeclared: error"),
    ("corrupt.parquet", "customers", "", "cannot be read as Parquet", "a Parquet file cut short"),
    ("corrupt.xlsx", "customers", "", "cannot be opened as an Excel workbook", "a zip that is no workbook"),
    ("customers.sqlite", "customers", 'data.customers={"sql":"SELECT/**/*/**/FROM/**/nope","url":"sqlite:///customers.sqlite"}', "the query failed", "a SQL query on a table that does not exist"),
    ("-", "customers", 'data.customers={"sql":"SELECT/**/*/**/FROM/**/customers","url":"sqlite:///nope.sqlite"}', "database file", "a SQLite database that does not exist"),
    ("one_column.csv", "customers", "", "(columns.pii) not found", "only the id column"),
    ("header_blank_lines.csv", "customers", "", "empty in every row", "a header and blank lines"),
    ("header_case.csv", "customers", "", "did you mean 'Customer_ID'", "header names in other capitals"),
    ("tx_missing_date_column.csv", "transactions", "", "'order_date' (columns.transactions.date) not found", "transactions without their date column"),
    ("tx_amount_words.csv", "transactions", "", "are not numbers", "amounts written as words"),
    ("tx_dates_text.csv", "transactions", "", "are not dates", "dates that are free text"),
    ("nul_bytes.csv", "customers", "", "not a text table", "NUL bytes inside a text export"),
    # ---- files that run, every row accounted for
    ("mac_roman_cr.csv", "customers", "", "ok", "Mac Roman with classic-Mac CR line ends (read as 'Zürich', not 'Z√ºrich')"),
    ("email_ids.csv", "customers", "data.transactions=null segmentation.features=[age,income] privacy.pseudonymise_ids=true", "ok", "e-mail addresses as customer ids, pseudonymised in every output"),
    ("email_ids.csv", "customers", "data.transactions=null segmentation.features=[age,income] columns.pii=[customer_id,name,email,phone]", "ok", "the id column listed as personal data: ids pseudonymised (was a misleading error)"),
    ("formula_values.csv", "customers", "data.transactions=null segmentation.features=[age,income]", "ok", "ids and cities starting with = + - @: written as text in every CSV and xlsx"),
    ("html_values.csv", "customers", "", "ok", "a city that is a <script> element: escaped everywhere"),
    ("long_text.csv", "customers", "", "ok", "a 10,000-character name and a 5,000-character city"),
    ("emoji.csv", "customers", "", "ok", "names and cities with emoji and other astral characters"),
    ("fullwidth_ages.csv", "customers", "", "ok", "ages in full-width digits (３０)"),
    ("nan_inf_strings.csv", "customers", "", "ok", "incomes written nan, inf, -inf, NaN: missing or unusable, never a number"),
    ("income_1e308.csv", "customers", "", "ok", "an income of 1e308 (overflowed to inf before): implausible, never used"),
    ("negative_income.csv", "customers", "", "ok", "negative incomes below cleaning.ranges: unusable, imputed"),
    ("exact_copies.csv", "customers", "", "ok", "every row twice: exact copies merged"),
    ("padded_values.csv", "customers", "", "ok", "ids, genders and cities padded with spaces"),
    ("mixed_case_categories.csv", "customers", "", "ok", "MALE, Female, F, 男: one category per meaning"),
    ("same_email_two_ids.csv", "customers", "", "ok", "two ids sharing an e-mail address: merged into one customer"),
    ("pipe_delimited.csv", "customers", "", "ok", "a |-separated export"),
    ("tab_separated.tsv", "customers", "", "ok", "a .tsv file"),
    ("trailing_delimiter.csv", "customers", "", "ok", "every line ends with a delimiter (an empty unnamed column)"),
    ("crlf_bom.csv", "customers", "", "ok", "UTF-8 with a byte-order mark and CRLF line ends"),
    ("utf16_be.csv", "customers", "", "ok", "UTF-16 big-endian with a byte-order mark"),
    ("all_quoted.csv", "customers", "", "ok", "every field quoted"),
    ("wide.csv", "customers", "", "ok", "300 extra columns nobody declared"),
    ("fullwidth_header.csv", "customers", "", "ok", "header names in full-width letters (NFKC makes them the declared names)"),
    ("undeclared_contact.csv", "customers", "columns.categorical=[gender,city,contact]", "ok", "phone numbers in an undeclared-as-personal column: kept, with a warning in quality.json"),
    ("undeclared_contact.csv", "customers", "columns.categorical=[gender,city,contact] privacy.undeclared=hash", "ok", "the same, privacy.undeclared: hash: hashed in every output"),
    ("cn_id_notes.csv", "customers", "privacy.undeclared=hash", "ok", "Chinese resident ID numbers in an unused column: hashed in quarantine.csv"),
    ("bank_cards.csv", "customers", "privacy.undeclared=hash", "ok", "bank card numbers (Luhn) in an unused column"),
    ("typed.parquet", "customers", "", "ok", "a Parquet file with typed columns"),
    ("customers.sqlite", "customers", 'data.customers={"sql":"SELECT/**/*/**/FROM/**/customers","url":"sqlite:///customers.sqlite"}', "ok", "a SQLite query"),
    ("no_id.csv", "customers", "columns.customer_id=null data.transactions=null segmentation.features=[age,income]", "ok", "no id column: rows numbered 1, 2, ..."),
    ("tx_excel_serial.csv", "transactions", "", "ok", "order dates as Excel serial numbers"),
    ("tx_two_digit_years.csv", "transactions", "", "ok", "order dates like 3/14/24 (month first, two-digit years)"),
    ("tx_datetimes.csv", "transactions", "", "ok", "order dates with times"),
    ("tx_cancellations.csv", "transactions", "", "ok", "cancelled orders (ids starting with C) as returns"),
    ("tx_formatted_amounts.csv", "transactions", "", "ok", "amounts like \"1,234.50\", ¥12.50 and $8"),
    ("tx_some_unknown.csv", "transactions", "", "ok", "half the lines name customers that do not exist: quarantined"),
    ("tx_month_first.csv", "transactions", "data.as_of=2024-06-30", "ok", "lines after data.as_of: quarantined as future dates"),
    ("tx_only_email_ids.csv", "transactions", "data.customers=null privacy.pseudonymise_ids=true", "ok", "a transactions-only export identified by e-mail, ids pseudonymised"),
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
    bad.update(_more(rng, rows, tx))
    for name, data in bad.items():
        (HERE / name).write_bytes(data)
    _sqlite(HERE / "customers.sqlite", rows)
    _parquet(HERE / "typed.parquet", rows)
    _xlsx(HERE / "title_block.xlsx", rows)
    _xlsx(HERE / "excel_saved_as_csv.csv", rows, title=False)
    _readme()


def _more(rng, rows, tx) -> dict[str, bytes]:
    """The corpus files added for issue 13: hostile values, privacy cases, more formats."""
    umlauts = ["Jürgen Müller", "Zoë Brontë", "François Bühler", "Anna Häberlin"]
    towns = ["Zürich", "Köln", "Genève", "Göteborg"]
    contact = [f"+86 139 {i:04d} {1000 + i:04d}" for i in range(len(rows))]
    out = {
        "no_header.csv": _csv(HEADER, rows, header_line=False),
        "us_dates.csv": _csv(HEADER, [_set(r, signup_date=f"{i % 12 + 1:02d}/{13 + i % 15:02d}/2023") for i, r in enumerate(rows)]),
        "city_empty.csv": _csv(HEADER, [_set(r, city="") for r in rows]),
        "undeclared_contact.csv": _csv(HEADER + ["contact"], [r + [c] for r, c in zip(rows, contact)]),
        "corrupt.parquet": b"PAR1" + random.Random(5).randbytes(300) + b"PAR1",
        "corrupt.xlsx": b"PK\x03\x04" + random.Random(6).randbytes(300),
        "one_column.csv": _csv(["customer_id"], [[r[0]] for r in rows]),
        "header_blank_lines.csv": _csv(HEADER, []) + b"\n\n\n",
        "header_case.csv": _csv([h.title().replace("Id", "ID") for h in HEADER], rows),
        "nul_bytes.csv": _csv(HEADER, rows).replace(b"Shanghai", b"Shang\x00hai"),
        "mac_roman_cr.csv": _csv(HEADER, [_set(r, name=n, city=c) for r, n, c in zip(rows, umlauts * 3, towns * 3)])
        .decode().replace("\n", "\r").encode("mac_roman"),
        "email_ids.csv": _csv(HEADER, [_set(r, customer_id=r[2]) for r in rows]),
        "formula_values.csv": _csv(HEADER, [_set(r, customer_id=p + r[0], city=c) for r, p, c in zip(
            rows, ["=", "+", "-", "@", "C", "'="] * 2, ['=HYPERLINK("http://evil.example","x")', "+1+1", "@SUM(1)",
                                                       "-2+3", "\t=1", "Shanghai"] * 2)]),
        "html_values.csv": _csv(HEADER, [_set(r, city="<script>alert(1)</script>", name="<b onmouseover=x>n</b>")
                                         for r in rows]),
        "long_text.csv": _csv(HEADER, [_set(rows[0], name="x" * 10_000, city="y" * 5_000)] + rows[1:]),
        "emoji.csv": _csv(HEADER, [_set(r, name=f"{r[1]} 😀", city=f"{r[7]} 🏙") for r in rows]),
        "fullwidth_ages.csv": _csv(HEADER, [_set(r, age="".join(chr(ord(d) + 0xFEE0) for d in r[5])) for r in rows]),
        "nan_inf_strings.csv": _csv(HEADER, [_set(r, income=v) for r, v in zip(rows, ["nan", "inf", "-inf", "NaN"] + [r[6] for r in rows[4:]])]),
        "income_1e308.csv": _csv(HEADER, [_set(rows[0], income="1e308")] + rows[1:]),
        "negative_income.csv": _csv(HEADER, [_set(r, income="-50") if i % 4 == 0 else r for i, r in enumerate(rows)]),
        "exact_copies.csv": _csv(HEADER, [r for r in rows for _ in range(2)]),
        "padded_values.csv": _csv(HEADER, [_set(r, customer_id=f"  {r[0]} ", gender=f" {r[4]}  ", city=f"  {r[7]}") for r in rows]),
        "mixed_case_categories.csv": _csv(HEADER, [_set(r, gender=g) for r, g in zip(rows, ["MALE", "Female", "F", "男", "m", "女"] * 2)]),
        "same_email_two_ids.csv": _csv(HEADER, rows + [_set(rows[0], customer_id="C900")]),
        "pipe_delimited.csv": _csv(HEADER, rows, delimiter="|"),
        "tab_separated.tsv": _csv(HEADER, rows, delimiter="\t"),
        "trailing_delimiter.csv": b"\n".join(line + b"," for line in _csv(HEADER, rows).splitlines()) + b"\n",
        "crlf_bom.csv": _csv(HEADER, rows).decode().replace("\n", "\r\n").encode("utf-8-sig"),
        "utf16_be.csv": _csv(HEADER, rows).decode().encode("utf-16"),  # BOM + native order, below made BE
        "all_quoted.csv": _csv(HEADER, rows, quoting=csv.QUOTE_ALL),
        "wide.csv": _csv(HEADER + [f"extra_{j}" for j in range(300)], [r + [str(j) for j in range(300)] for r in rows]),
        "fullwidth_header.csv": _csv(["".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in h) for h in HEADER], rows),
        "cn_id_notes.csv": _csv(HEADER + ["note"], [r + [_cn_id(rng)] for r in rows]),
        "bank_cards.csv": _csv(HEADER + ["card"], [r + [_card(rng)] for r in rows]),
        "no_id.csv": _csv(HEADER[1:], [r[1:] for r in rows]),
        "tx_future_dates.csv": _csv(TX_HEADER, [r[:2] + ["2091" + r[2][4:]] + r[3:] for r in tx[:15]]),
        "tx_missing_date_column.csv": _csv(["customer_id", "order_id", "amount"], [[r[0], r[1], r[3]] for r in tx[:15]]),
        "tx_amount_words.csv": _csv(TX_HEADER, [r[:3] + [rng.choice(["ten", "a lot", "free"])] for r in tx[:15]]),
        "tx_dates_text.csv": _csv(TX_HEADER, [r[:2] + [rng.choice(["soon", "last week"])] + r[3:] for r in tx[:15]]),
        "tx_excel_serial.csv": _csv(TX_HEADER, [r[:2] + [str(45292 + i * 7)] + r[3:] for i, r in enumerate(tx[:20])]),
        "tx_two_digit_years.csv": _csv(TX_HEADER, [r[:2] + [_us(r[2]).replace("/2024", "/24").lstrip("0")] + r[3:] for r in tx[:20]]),
        "tx_datetimes.csv": _csv(TX_HEADER, [r[:2] + [f"{r[2]} {i % 24:02d}:{i % 60:02d}:00"] + r[3:] for i, r in enumerate(tx[:20])]),
        "tx_cancellations.csv": _csv(TX_HEADER, tx[:16] + [[r[0], "C" + r[1], r[2], "-" + r[3]] for r in tx[:4]]),
        "tx_formatted_amounts.csv": _csv(TX_HEADER, [r[:3] + [v] for r, v in zip(tx[:18], ["1,234.50", "¥12.50", "$8", "RMB 99"] * 5)]),
        "tx_some_unknown.csv": _csv(TX_HEADER, [r if i % 2 else [f"X{i}"] + r[1:] for i, r in enumerate(tx[:20])]),
        "tx_only_email_ids.csv": _csv(TX_HEADER + HEADER[1:], [[_row_of(r[0], rows)[2]] + r[1:] + _row_of(r[0], rows)[1:] for r in tx[:30]]),
    }
    out["utf16_be.csv"] = b"\xfe\xff" + _csv(HEADER, rows).decode().encode("utf-16-be")
    return out


def _cn_id(rng) -> str:
    """A Chinese resident ID number with a valid check digit (ISO 7064 MOD 11-2)."""
    body = f"110105{rng.randrange(1950, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def _card(rng) -> str:
    """A 16-digit card number that passes the Luhn check."""
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _sqlite(path, rows) -> None:
    import sqlite3

    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE customers ({', '.join(f'{h} TEXT' for h in HEADER)})")
        db.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * len(HEADER))})", rows)
    db.close()


def _parquet(path, rows) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=HEADER)
    frame["age"] = frame["age"].astype(int)
    frame["income"] = frame["income"].astype(float)
    frame["signup_date"] = pd.to_datetime(frame["signup_date"])
    frame.to_parquet(path, index=False)


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


def _csv(header, rows, delimiter=",", header_line=True, quoting=csv.QUOTE_MINIMAL) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=quoting)
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
    _same_bytes_every_run(path)


def _same_bytes_every_run(path) -> None:
    """openpyxl stamps the save time into the workbook and its zip entries: fix both."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2024-06-30T00:00:00Z", data)
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 30, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


def _readme() -> None:
    lines = [
        "# Bad-input corpus",
        "",
        "Each file is run as the `role` input of `params.yaml` (the other input stays the small good data set",
        "in `../good/`): `seglab run tests/data/bad/params.yaml --set data.<role>=<file> [set ...]`. The",
        "expected outcome is `ok` (cleaning succeeds, with every row accounted for in quality.json), or a",
        "substring of the one-line error (exit code 2, no traceback). Generated by `_make_corpus.py`;",
        "edit CASES there, not this table. The set column is split at spaces (SQL uses /**/ instead). A file",
        "`-` replaces no input: the case is a params mistake,",
        "made with `--set` on the good data. `tests/test_bad_inputs.py` runs every case in-process (validate,",
        "then clean, as `seglab run` does); `tests/test_bad_inputs_cli.py` runs a sample through the real",
        "command line.",
        "",
        f"**{len(CASES)} cases: {sum(e == 'ok' for _, _, _, e, _ in CASES)} clean runs, "
        f"{sum(e != 'ok' for _, _, _, e, _ in CASES)} clear errors** (one line, exit code 2, nothing left behind).",
        "",
        "| file | role | set | expected | what it is |",
        "|---|---|---|---|---|",
    ]
    for name, role, extra, expected, what in CASES:
        lines.append(f"| {name} | {role} | {extra} | {expected} | {what} |")
    (HERE / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
