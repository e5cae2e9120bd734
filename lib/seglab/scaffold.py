"""A first params file for one's own data (``seglab init``): sniff the files, write commented YAML.

Reading the JSON Schema is no way to start. This module reads the files the way a run
will (:func:`seglab.io.sources.read_source`), decides what each column is from its name
and its values — the customer id, personal data (names, e-mails, phones), dates, numbers,
categories, and in transactions the customer, date, amount (or quantity × price) and
order id — and writes a params file that says in comments what it found and why, with a
method that fits the columns (k-prototypes for mixed numbers and categories, k-means for
numbers only, RFM features when there are transactions) and ``k: auto``. The draft is
validated against the files before it is written, so ``seglab validate`` passes on it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from seglab.clean.standardise import missing_mask, normalise_text, parse_dates, parse_numbers, token_set
from seglab.config import CleaningConfig, RunConfig, load_config
from seglab.errors import DataError, ParamsError
from seglab.io.files import portable_path
from seglab.io.sources import read_source
from seglab.validation import validate

#: Rows looked at per file: enough to see every kind of value, quick on any size of export.
SAMPLE_ROWS = 20_000
#: Share of the present values that must parse for a column to be read as numbers or dates.
PARSE_SHARE = 0.95
#: A text column with more distinct values than this (and than :data:`CATEGORY_SHARE` of the
#: rows) is free text or a label, not a category to segment on.
MAX_CATEGORIES = 200
CATEGORY_SHARE = 0.2
#: Integer columns with at most this many distinct values are codes (channel 1/2, region 1/2/3).
MAX_CODES = 3
#: Rows per distinct value an id column may have: duplicate records of a customer (merged by
#: cleaning) repeat a few ids.
ID_REPEATS = 1.05
#: Columns more empty than this are left out of the segmentation features.
MAX_MISSING_FEATURE = 0.5
#: The transaction features a transactions-only run segments on.
RFM_FEATURES = ["recency", "frequency", "monetary"]
TRANSACTION_ONLY_FEATURES = ["recency", "frequency", "monetary", "aov", "tenure_days"]

# What column names say (case-folded; matched as words or word parts, English and Chinese).
_WORDS = {
    "id": r"(^|[^a-z])(id|ids|no|nr|num|number|code|key)$|^(id|code|key)([^a-z]|$)"
          r"|编号|代码|编码|账号|卡号|^ts代码",
    "customer": r"customer|cust|client|member|user|buyer|account|shopper|learner|patient|guest"
                r"|客户|会员|用户|顾客",
    "email": r"e-?mail|邮箱|邮件",
    "phone": r"phone|mobile|tel($|[^a-z])|cell|手机|电话|联系方式",
    "name": r"(^|[^a-z])(full[ _]?name|first[ _]?name|last[ _]?name|surname|given[ _]?name|name|contact)($|[^a-z])"
            r"|姓名|名字|联系人",
    "address": r"address|street|postcode|zip|地址|住址",
    "national_id": r"ssn|passport|id[ _]?card|national[ _]?id|身份证",
    "birth": r"birth|dob|生日|出生",
    "age": r"(^|[^a-z])age($|[^a-z])|年龄",
    "date": r"date|time|day$|dt$|日期|时间",
    "order": r"order|invoice|transaction|receipt|basket|ticket|bill|payment|订单|单号|流水",
    "amount": r"amount|total|revenue|sales|spend|value|paid|price|sum|turnover|金额|销售额|总额|实付",
    "quantity": r"quantity|qty|units|count|数量|件数",
    "unit_price": r"unit[ _]?price|price|单价",
    "code": r"channel|region|type|category|class|group|segment|status|flag|tier|level|gender|kind"
            r"|渠道|地区|类型|类别",
}


def _says(name: str, kind: str) -> bool:
    return re.search(_WORDS[kind], name.casefold()) is not None


@dataclass
class Column:
    """What one column holds, from its name and a sample of its values."""

    name: str
    rows: int
    present: int
    distinct: int
    numeric_share: float = 0.0
    integer: bool = False
    date_share: float = 0.0
    date_order: str | None = None
    email_share: float = 0.0
    phone_share: float = 0.0
    repeats: float = 1.0  # rows per distinct value
    example: str = ""

    @property
    def missing_share(self) -> float:
        return 1 - self.present / self.rows if self.rows else 1.0

    @property
    def unique(self) -> bool:
        return self.present > 0 and self.distinct == self.present

    @property
    def numeric(self) -> bool:
        return self.present > 0 and self.numeric_share >= PARSE_SHARE

    @property
    def date(self) -> bool:
        if self.present == 0 or self.date_share < PARSE_SHARE:
            return False
        # Numbers that also parse as dates (Excel serials, 20240105) are dates only when named so.
        return not self.numeric or _says(self.name, "date") or _says(self.name, "birth")

    @property
    def pii(self) -> str | None:
        """The kind of personal data the column holds, or None."""
        if self.email_share >= 0.5 or (_says(self.name, "email") and not self.numeric):
            return "e-mail"
        if _says(self.name, "phone") or (self.phone_share >= 0.9 and not self.date):
            return "phone"
        if _says(self.name, "national_id"):
            return "national id"
        if _says(self.name, "address") and not self.numeric:
            return "address"
        if _says(self.name, "name") and not self.numeric and self.distinct > min(50, self.present // 2):
            return "name"
        return None

    @property
    def categorical(self) -> bool:
        """Few enough distinct values to be a category (codes included)."""
        if self.present == 0 or self.date or self.pii:
            return False
        if self.numeric:
            # Codes repeat: a handful of values over many rows (or a name such as channel, region).
            return self.integer and ((self.distinct <= MAX_CODES and self.repeats >= 10)
                                     or (_says(self.name, "code") and self.distinct <= 12))
        if self.unique and self.present >= 3:  # a different value in every row labels rows, it groups none
            return False
        return self.distinct <= MAX_CATEGORIES and self.distinct <= max(CATEGORY_SHARE * self.present, 12)


def profile(table: pd.DataFrame, tokens) -> list[Column]:
    """One :class:`Column` per column of a raw text table (its first :data:`SAMPLE_ROWS` rows)."""
    sample = table.head(SAMPLE_ROWS)
    out = []
    for name in sample.columns:
        raw = sample[name]
        norm = normalise_text(raw.astype("str"))
        missing = missing_mask(norm, tokens)
        present = norm[~missing]
        col = Column(name=str(name), rows=len(raw), present=int(len(present)), distinct=int(present.nunique()))
        if col.present:
            numbers = parse_numbers(present, tokens)
            ok = np.isfinite(numbers.values)
            col.numeric_share = float(ok.mean())
            col.integer = bool(ok.any() and np.all(numbers.values[ok] == np.round(numbers.values[ok])))
            dates = parse_dates(present, tokens)
            col.date_share = float((~np.isnat(dates.values)).mean())
            col.date_order = dates.info.get("order")
            text = present.astype("str")
            col.email_share = float(text.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").mean())
            digits = text.str.replace(r"[\s()+\-./]", "", regex=True)
            phone_like = digits.str.fullmatch(r"\d{7,15}") & text.str.contains(r"[\s()+\-]|^1\d{10}$|^0\d{9,}")
            col.phone_share = float(phone_like.mean())
            col.repeats = col.present / max(col.distinct, 1)
            col.example = str(present.iloc[0])[:40]
        out.append(col)
    return out


# ------------------------------------------------------------------ roles

@dataclass
class CustomerRoles:
    """How a customer table's columns are used."""

    id: str | None
    pii: dict[str, str] = field(default_factory=dict)      # column -> kind
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    birth_date: str | None = None
    unused: dict[str, str] = field(default_factory=dict)   # column -> why
    age: str | None = None


@dataclass
class TransactionRoles:
    """How a transaction table's columns are used."""

    customer_id: str
    date: str
    amount: str | None
    quantity: str | None = None
    unit_price: str | None = None
    order_id: str | None = None
    date_order: str | None = None
    id_is_name: bool = False
    cancel_prefix: bool = False


def customer_roles(columns: list[Column], id_hint: str | None = None) -> CustomerRoles:
    """Decide the id, personal data, numbers, categories and dates of a customer table."""
    by_name = {c.name: c for c in columns}
    roles = CustomerRoles(id=_customer_id(columns, id_hint))
    for c in columns:
        if c.name == roles.id:
            continue
        if c.pii:
            roles.pii[c.name] = c.pii
        elif c.present == 0:
            roles.unused[c.name] = "empty"
        elif c.date:
            if _says(c.name, "birth") and roles.birth_date is None:
                roles.birth_date = c.name
            else:
                roles.dates.append(c.name)
        elif c.name.startswith("Unnamed: ") and c.numeric and c.unique:
            roles.unused[c.name] = "a row number without a header"
        elif c.categorical:
            roles.categorical.append(c.name)
        elif c.numeric:
            if c.unique and c.integer and (_says(c.name, "id") or _says(c.name, "customer")):
                roles.unused[c.name] = "another identifier"
            else:
                roles.numeric.append(c.name)
                if _says(c.name, "age") and roles.age is None:
                    roles.age = c.name
        elif c.unique or c.distinct > MAX_CATEGORIES:
            roles.unused[c.name] = ("an identifier or label: a different value in every row" if c.unique else
                                    f"free text: {c.distinct:,} different values")
        else:
            roles.unused[c.name] = f"{c.distinct:,} different values in {c.present:,} rows: too many for a category"
    if roles.id and by_name[roles.id].pii:
        roles.pii.pop(roles.id, None)
    return roles


def _customer_id(columns: list[Column], hint: str | None) -> str | None:
    """The column that names each customer once, or None when the file has none."""
    if hint and any(c.name == hint for c in columns):
        return hint
    # An id may repeat a little: an export's duplicate records of a customer are merged by cleaning.
    candidates = [c for c in columns if c.present and c.repeats <= ID_REPEATS and c.missing_share == 0 and not c.date
                  and not c.name.startswith("Unnamed: ") and not (c.numeric and not c.integer)
                  and c.pii not in ("e-mail", "phone")]

    def rank(c: Column):
        return (not (_says(c.name, "customer") and _says(c.name, "id")), not _says(c.name, "id"),
                not _says(c.name, "customer"), columns.index(c))

    named = [c for c in candidates if _says(c.name, "id") or _says(c.name, "customer")]
    return min(named, key=rank).name if named else None


def transaction_roles(columns: list[Column], customer_ids: set | None = None,
                      values: pd.DataFrame | None = None) -> TransactionRoles:
    """Decide the customer, date, amount and order id of a transaction table.

    Raises
    ------
    DataError
        No date column, no amount (nor quantity and unit price), or no customer column.
    """
    dates = [c for c in columns if c.date]
    date = _best(dates, "date")
    numeric = [c for c in columns if c.numeric and not c.date and c.name != getattr(date, "name", None)]
    amount = _best([c for c in numeric if _says(c.name, "amount") and not _says(c.name, "unit_price")], "amount")
    quantity = unit_price = None
    if amount is None:
        quantity = _best([c for c in numeric if _says(c.name, "quantity")], "quantity")
        unit_price = _best([c for c in numeric if _says(c.name, "unit_price")], "unit_price")
        if quantity is None or unit_price is None:
            amount = _best([c for c in numeric if _says(c.name, "unit_price")], "unit_price")
    taken = {getattr(x, "name", None) for x in (date, amount, quantity, unit_price)}
    rest = [c for c in columns if c.name not in taken and not c.date]
    customer = _transaction_customer(rest, customer_ids, values)
    order = _best([c for c in rest if c is not customer and _says(c.name, "order") and c.repeats < 3], "order")
    missing = [what for what, found in (("a date column", date), ("a customer column", customer),
                                         ("an amount (or quantity and unit price) column", amount or quantity))
               if found is None]
    if missing:
        raise DataError(f"no {' and no '.join(missing)} found among its columns ({', '.join(c.name for c in columns)})")
    cancel = False
    if order is not None and values is not None:
        ids = values[order.name].astype("str").str.strip()
        cancel = bool(ids.str.match(r"^C\d").any() and (~ids.str.match(r"^C")).mean() > 0.5)
    return TransactionRoles(customer_id=customer.name, date=date.name, amount=getattr(amount, "name", None),
                            quantity=getattr(quantity, "name", None), unit_price=getattr(unit_price, "name", None),
                            order_id=getattr(order, "name", None), date_order=date.date_order,
                            id_is_name=customer.pii == "name" or _looks_like_names(values, customer.name),
                            cancel_prefix=cancel)


def _best(columns: list[Column], kind: str) -> Column | None:
    """The column whose name says ``kind`` most plainly (an exact word first), else the first."""
    if not columns:
        return None
    exact = [c for c in columns if re.fullmatch(rf"(\w*[_ ])?({_WORDS[kind]})([_ ]\w*)?", c.name.casefold())]
    return (exact or columns)[0]


def _transaction_customer(columns: list[Column], customer_ids: set | None, values) -> Column | None:
    """The column naming the customer of each line: the one that matches the customer table's ids,
    else one named like a customer with repeated values."""
    if customer_ids and values is not None:
        overlap = {c.name: values[c.name].astype("str").str.strip().isin(customer_ids).mean() for c in columns}
        best = max(overlap, key=overlap.get, default=None)
        if best is not None and overlap[best] >= 0.5:
            return next(c for c in columns if c.name == best)
    named = [c for c in columns if _says(c.name, "customer") and c.repeats > 1]
    if named:
        return min(named, key=lambda c: (not _says(c.name, "id"), columns.index(c)))
    repeated = [c for c in columns if not c.numeric and c.repeats >= 1.5 and c.distinct > 10]
    return repeated[0] if repeated else None


def _looks_like_names(values: pd.DataFrame | None, column: str) -> bool:
    """Values such as 'Dennis Kane': two or three capitalised words, or two to four Chinese characters."""
    if values is None:
        return False
    text = values[column].astype("str").head(SAMPLE_ROWS).str.strip()
    names = text.str.fullmatch(r"[A-Z][a-zà-ÿ'’\-]+(?: [A-Z][a-zà-ÿ'’\-]+\.?){1,2}|[\u4e00-\u9fff]{2,4}")
    return bool(names.mean() >= 0.8)


def looks_like_transactions(columns: list[Column]) -> bool:
    """A date, an amount and a column naming customers on several lines each: an order log."""
    try:
        roles = transaction_roles(columns)
    except DataError:
        return False
    customer = next(c for c in columns if c.name == roles.customer_id)
    return customer.repeats >= 1.2


# ------------------------------------------------------------------ the draft

@dataclass
class Draft:
    """A params file in the making: the YAML text and what was found, for the summary."""

    text: str
    notes: list[str]


def draft_params(out: Path, *, customers: Path | None = None, transactions: Path | None = None) -> Draft:
    """Sniff the data files and draft the params file that ``out`` will hold.

    Parameters
    ----------
    out : Path
        Where the params file will be written; its stem is the run name and data paths are
        written relative to its folder.
    customers, transactions : Path, optional
        The data files (at least one). A single file that reads as an order log (a date,
        an amount and customers on several lines each) is taken as transactions.

    Raises
    ------
    DataError
        A file cannot be read, or a transaction file lacks a date, amount or customer column.
    """
    if customers is None and transactions is None:
        raise ParamsError("seglab init: give a data file (customers), --transactions FILE, or both")
    tokens = token_set(CleaningConfig().missing_tokens)
    notes: list[str] = []
    cust = tx = None
    if customers is not None:
        table, info = read_source(customers, role="customers")
        columns = profile(table, tokens)
        if transactions is None and looks_like_transactions(columns):
            notes.append(f"{customers.name} reads as an order log (date, amount, customers on several lines): "
                         "used as transactions, customers derived from them")
            transactions, customers, tx = customers, None, (table, info, columns)
        else:
            cust = (table, info, columns)
    if transactions is not None and tx is None:
        table, info = read_source(transactions, role="transactions")
        tx = (table, info, profile(table, tokens))
    c_roles = customer_roles(cust[2]) if cust else None
    t_roles = None
    if tx:
        ids = None
        if c_roles and c_roles.id:
            ids = set(cust[0][c_roles.id].astype("str").str.strip().head(SAMPLE_ROWS * 5))
        try:
            t_roles = transaction_roles(tx[2], ids, tx[0])
        except DataError as exc:
            raise DataError(f"{transactions}: {exc}; name them in the params by hand") from None
    text = _yaml(out, customers, transactions, cust, tx, c_roles, t_roles, notes)
    return Draft(text=text, notes=notes)


def write_params(out: Path, *, customers: Path | None = None, transactions: Path | None = None,
                 force: bool = False) -> Draft:
    """Draft the params file, check it against the files (as ``seglab validate`` does) and write it.

    Raises
    ------
    ParamsError
        ``out`` exists (and not ``force``) or is not a ``.yaml`` file.
    """
    out = Path(out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise ParamsError(f"--out {out}: give a .yaml file name, e.g. params/{out.stem or 'mydata'}.yaml")
    if out.exists() and not force:
        raise ParamsError(f"--out {out}: exists already; choose another name or add --force to replace it")
    draft = draft_params(out, customers=customers, transactions=transactions)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.draft")
    tmp.write_text(draft.text, encoding="utf-8")
    try:
        cfg = load_config(tmp)
        validate(cfg)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    return draft


def run_name_for(out: Path) -> str:
    """The run name a params file name gives: lower-case letters, digits, _ and -."""
    name = re.sub(r"[^a-z0-9_-]+", "_", out.stem.casefold()).strip("_")
    return name or "segmentation"


def _flow(value) -> str:
    """A value as inline YAML (``[a, 'b c']``, ``{x: 1}``), quoted where YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False)
    return text.strip().removesuffix("\n...")


def _list_comment(items, limit=8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
    return shown


def _yaml(out, customers, transactions, cust, tx, c_roles: CustomerRoles | None, t_roles: TransactionRoles | None,
          notes: list[str]) -> str:
    run_name = run_name_for(out)
    lines = [f"# Params for {run_name}, drafted by `seglab init` from the data: check every line marked CHECK,",
             "# then `seglab validate` and `seglab run` this file. Every key is described in the JSON Schema",
             "# (`seglab schema`); point your editor's YAML plug-in at it for completion and help.",
             f"run_name: {_flow(run_name)}",
             f"title: {_flow('Customer segmentation – ' + run_name.replace('_', ' '))}",
             'client: ""               # CHECK: who the report is for',
             "language: en             # en or zh: the report's language",
             "seed: 42                 # the same seed, params and data always give the same segments",
             "data:"]
    for role, path, part in (("customers", customers, cust), ("transactions", transactions, tx)):
        if path is None:
            continue
        info = part[1]
        how = [f"{info['rows']:,} rows", f"{len(info['columns'])} columns"]
        if info.get("encoding"):
            how.append(f"encoding {info['encoding']}")
        if info.get("delimiter") and info["delimiter"] != ",":
            how.append(f"separated by {_flow(info['delimiter'])}")
        lines.append(f"  {role}: {_flow(portable_path(path, Path(out).resolve().parent))}   # {', '.join(how)}")
    lines += ["  encoding: auto           # detected per file; name one (e.g. gbk, mac_roman) if text reads garbled",
              "  as_of: null              # reference date for recency and tenure; null: the last purchase date"]

    lines.append("columns:")
    pii: dict[str, str] = {}
    numeric: list[str] = []
    categorical: list[str] = []
    if c_roles:
        if c_roles.id:
            lines.append(f"  customer_id: {_flow(c_roles.id)}   # one value per customer")
        else:
            lines.append("  customer_id: null        # CHECK: no id column found, so customers are numbered "
                         "1, 2, ... by row")
        pii = dict(c_roles.pii)
        numeric, categorical = list(c_roles.numeric), list(c_roles.categorical)
        kinds = _list_comment(f"{c}: {k}" for c, k in pii.items())
        lines.append(f"  pii: {_flow(list(pii))}" + (f"   # personal data ({kinds}): pseudonymised, used only to "
                                                      "merge duplicates, never reported" if pii else
                                                      "   # personal data columns: none found"))
        lines.append(f"  numeric: {_flow(numeric)}")
        codes = [c for c in categorical if _is_code(cust[2], c)]
        lines.append(f"  categorical: {_flow(categorical)}"
                     + (f"   # integer codes read as categories: {_list_comment(codes)}" if codes else ""))
        lines.append(f"  dates: {_flow(c_roles.dates)}")
        if c_roles.birth_date:
            lines.append(f"  birth_date: {_flow(c_roles.birth_date)}   # age is derived from it")
        for col, why in c_roles.unused.items():
            lines.append(f"  # not used: {col} ({why})")
    elif t_roles:
        lines.append(f"  customer_id: {_flow(t_roles.customer_id)}   # no customer table: customers come from the "
                     "transactions")
    if t_roles:
        spec = {"customer_id": t_roles.customer_id, "date": t_roles.date}
        if t_roles.amount:
            spec["amount"] = t_roles.amount
        else:
            spec.update(amount=None, quantity=t_roles.quantity, unit_price=t_roles.unit_price)
        if t_roles.order_id:
            spec["order_id"] = t_roles.order_id
        lines.append(f"  transactions: {_flow(spec)}")
        if not t_roles.amount:
            lines.append(f"  # the line amount is {t_roles.quantity} × {t_roles.unit_price}")
        if t_roles.id_is_name:
            lines.append(f"  # CHECK: transactions name the customer by personal name ({t_roles.customer_id}); it is"
                         " pseudonymised in every output, but ids are better")
            notes.append(f"customers are identified by name ({t_roles.customer_id}): personal data as id")

    lines.append("cleaning:")
    email_phone = [c for c, k in pii.items() if k in ("e-mail", "phone")]
    lines.append(f"  dedupe_on: {_flow(email_phone)}"
                 + ("   # records with the same e-mail or phone are one customer" if email_phone else ""))
    if c_roles and c_roles.age:
        lines.append(f"  ranges: {_flow({c_roles.age: [0, 120]})}   # values outside are invalid and imputed")
    else:
        lines.append("  ranges: {}               # e.g. {age: [16, 100], income: [0, null]}: "
                     "values outside are invalid")
    if t_roles and t_roles.date_order and t_roles.date_order not in ("year first", "typed"):
        lines.append(f"  # transaction dates read {t_roles.date_order}; to be sure, set date_formats, "
                     "e.g. {" + f"{t_roles.date}: '%m/%d/%y'" + "}")
    if t_roles and t_roles.cancel_prefix:
        lines.append("  cancel_prefix: C          # order ids starting with C are returns (cancellations)")
    lines.append("  missing: {numeric: median, categorical: mode}   # how missing values are filled")

    features, method, why = _segmentation(numeric, categorical, t_roles is not None, cust[2] if cust else [])
    n = cust[1]["rows"] if cust else tx[2][[c.name for c in tx[2]].index(t_roles.customer_id)].distinct
    high = int(max(2, min(8, n // 20)))
    lines += ["segmentation:",
              f"  method: {method}   # {why}",
              f"  features: {_flow(features)}",
              "  k: auto                  # chosen by stability and the elbow of the cost curve; or a number",
              f"  k_range: {_flow([2, high])}",
              "  min_segment_share: 0.05  # no segment smaller than 5 % of customers"]
    lines += ["report:",
              "  objectives: null         # CHECK: the objective in SMART form (specific, measurable, achievable,",
              "                           # relevant, time-bound), e.g. >- Find the groups that drive revenue ...;",
              "                           # it opens the report"]
    notes.append(f"method {method}: {why}")
    return "\n".join(lines) + "\n"


def _is_code(columns: list[Column], name: str) -> bool:
    c = next((c for c in columns if c.name == name), None)
    return bool(c and c.numeric)


def _segmentation(numeric, categorical, has_transactions, columns) -> tuple[list[str], str, str]:
    """The features, method and the reason for it."""
    usable = {c.name for c in columns if c.missing_share <= MAX_MISSING_FEATURE}
    num = [c for c in numeric if c in usable]
    cat = [c for c in categorical if c in usable]
    if has_transactions:
        num += RFM_FEATURES if (num or cat) else TRANSACTION_ONLY_FEATURES
    features = num + cat
    if not features:
        raise DataError("no column to segment on: no numbers, no categories and no transactions were found; "
                        "declare columns by hand (see params/demo.yaml)")
    if cat and num:
        return features, "kprototypes", "numbers and categories: k-prototypes weighs both"
    if cat:
        return features, "kprototypes", "categories only: k-prototypes on categories (k-modes)"
    on_rfm = " on RFM and spend per order" if has_transactions and not numeric else ""
    return features, "kmeans", "numbers only: k-means" + on_rfm


def describe(cfg: RunConfig) -> str:
    """One line on what a params file segments, for the end of ``seglab init``."""
    seg = cfg.segmentation
    return f"{cfg.run_name}: {seg.method} on {len(seg.features)} features, k {seg.k} in {list(seg.k_range)}"
