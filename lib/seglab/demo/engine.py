"""The demo-data engine: CRM exports with planted customer groups and planted data problems,
so the pipeline can be shown end to end and tests can check what it recovers.

Its public functions are the building blocks every scenario module of :mod:`seglab.demo`
draws with: people and their orders (:func:`draw_people`, :func:`draw_orders`), second records
of one person (:func:`split_duplicates`, :func:`draw_records`), the customer table with its
planted problems and truth (:func:`customer_table`, :func:`plant_labels`), transaction lines
(:func:`draw_lines`, :func:`transaction_table`), and vectorised text kernels. A whole data set
of planted groups is :func:`generate_groups`.

One seeded :class:`numpy.random.Generator` drives vectorised numpy and pyarrow string kernels
(no Python loop per customer or per transaction): the same seed gives byte-identical files, and
a million customers take seconds. The truth files beside the data are for tests only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

WINDOW_START = np.datetime64("2023-07-01", "D")  # the transactions' fixed three-year window
WINDOW_END = np.datetime64("2026-06-30", "D")
SIGNUP_START = np.datetime64("2015-01-01", "D")  # the CRM's first customers


def day_of(date) -> int:
    """Days from the window's start: the generator's time axis."""
    return int((np.datetime64(date, "D") - WINDOW_START).astype(np.int64))


WINDOW_DAYS = day_of(WINDOW_END) + 1
MIN_CUSTOMERS = 100
CALIBRATED_TRANSACTIONS = 15.0  # lines per customer that the retail groups' rates produce

CUSTOMER_COLUMNS = (
    "customer_id", "name", "email", "phone", "gender", "age", "income", "city", "region",
    "signup_date", "channel", "membership_tier", "occupation", "interest",
)
TRANSACTION_COLUMNS = ("customer_id", "order_id", "order_date", "amount")
CUSTOMER_TRUTH_COLUMNS = ("source_row", "customer_id", "planted_group", "problem", "duplicate_of")
TRANSACTION_TRUTH_COLUMNS = ("source_row", "order_id", "problem")

CITY_REGION = {
    "Shanghai": "East", "Hangzhou": "East", "Nanjing": "East",
    "Beijing": "North", "Tianjin": "North",
    "Shenzhen": "South", "Guangzhou": "South",
    "Chengdu": "West", "Chongqing": "West", "Kunming": "West",
    "Harbin": "Northeast", "Shenyang": "Northeast",
}
CHANNELS = ("app", "web", "store")
TIERS = ("basic", "silver", "gold")
OCCUPATIONS = (
    "student", "office worker", "engineer", "teacher", "manager", "self-employed", "retired",
)
# "kids" is last and no retail group uses it, so the retail draws are unchanged (retail_shift uses it).
INTERESTS = ("running", "hiking", "outdoor", "fitness", "fashion", "deals", "kids")

#: How the vocabularies read in a report in Chinese: written beside the data as value_labels.yaml,
#: which the demo params name (columns.value_labels). Column -> value -> label, per language.
VALUE_LABELS = {"zh": {
    "gender": {"male": "男性", "female": "女性"},
    "channel": {"app": "移动端", "web": "网站", "store": "门店"},
    "membership_tier": {"basic": "普通", "silver": "银卡", "gold": "金卡"},
    "occupation": {"student": "学生", "office worker": "上班族", "engineer": "工程师", "teacher": "教师",
                   "manager": "管理者", "self-employed": "个体经营者", "retired": "退休人员"},
    "interest": {"running": "跑步", "hiking": "徒步", "outdoor": "户外", "fitness": "健身", "fashion": "时尚",
                 "deals": "优惠", "kids": "亲子"},
    "city": {"Shanghai": "上海", "Hangzhou": "杭州", "Nanjing": "南京", "Beijing": "北京", "Tianjin": "天津",
             "Shenzhen": "深圳", "Guangzhou": "广州", "Chengdu": "成都", "Chongqing": "重庆", "Kunming": "昆明",
             "Harbin": "哈尔滨", "Shenyang": "沈阳"},
    "region": {"East": "华东", "North": "华北", "South": "华南", "West": "西部", "Northeast": "东北"},
}}

# Planted problems, as shares of customer records and of transaction lines. Every problem row
# carries exactly one label; the transactions' "return" label (legitimate refunds, not errors)
# comes from the groups' return rates.
CUSTOMER_PROBLEMS = {
    "duplicate": 0.03,  # same person, new customer_id, contact details written differently
    "exact_duplicate": 0.005,  # the same line twice
    "missing_age": 0.02,
    "missing_income": 0.02,
    "missing_city": 0.02,
    "missing_gender": 0.02,
    "impossible_age": 0.005,
    "future_date": 0.003,
    "bad_date": 0.003,
    "category_variant": 0.06,  # gender spelled M, Female, 女 ...: repairable, not an error
}
TRANSACTION_PROBLEMS = {
    "bad_amount": 0.003,
    "future_date": 0.002,
    "bad_date": 0.002,
    "unknown_customer": 0.001,
    "exact_duplicate": 0.003,
}
#: Legitimate patterns planted beside the problems (not errors): purchase lines of amount 0 (a
#: free sample, a 100 % voucher; share of lines), customers whose one order was free (share of
#: customers with one unreturned order), and customers whose only line is the refund of an order
#: bought before the export (returns only; share of customers with one returned order).
LINE_PATTERNS = {"free_purchase": 0.002, "free_only": 0.05, "returns_only": 0.25}
_LINE_LABELS = ("", "return", *TRANSACTION_PROBLEMS, "free_purchase")
MISSING_NUMBER = ("", "N/A")
MISSING_TEXT = ("", "unknown", "N/A")
IMPOSSIBLE_AGES = ("0", "-3", "150", "999")
BAD_DATES = ("2024-13-45", "not a date", "31/02/2024", "2023-02-29")
_FUTURE_YEARS = ("2064", "2072", "2088", "2092")  # leap years, so a 02-29 stays a real date
_GENDER_VARIANTS = (  # indexed by "is male"
    ("F", "Female", "女", " female ", "FEMALE"),
    ("M", "Male", "男", " male ", "MALE"),
)

# Names: Chinese characters with their pinyin (for emails), and English given names.
_SURNAMES = (
    "王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu "
    "胡hu 郭guo 何he 林lin 罗luo 高gao 郑zheng 梁liang 谢xie 宋song 唐tang 韩han 冯feng 邓deng"
).split()
_GIVEN = (  # male, female
    "伟wei 强qiang 磊lei 军jun 洋yang 勇yong 杰jie 涛tao 明ming 超chao 浩hao 鹏peng 宇yu 俊jun "
    "辉hui 斌bin 刚gang 建jian 志zhi 文wen".split(),
    "芳fang 娜na 敏min 静jing 丽li 婷ting 雪xue 琳lin 欣xin 颖ying 慧hui 佳jia 梅mei 燕yan "
    "玲ling 晶jing 倩qian 月yue 雨yu 晓xiao".split(),
)
_ENGLISH = (
    "David Michael Kevin Jason Eric Tony Jack Leo Peter Frank Daniel Sam Ryan Alex Henry".split(),
    "Emily Grace Lily Cindy Amy Vivian Linda Sophia Helen Jessica Angela Coco Nancy Iris".split(),
)
_DOMAINS = {
    "qq.com": 0.3, "163.com": 0.25, "126.com": 0.1, "gmail.com": 0.1, "outlook.com": 0.1,
    "sina.com": 0.08, "hotmail.com": 0.07,
}
_MOBILE_PREFIXES = (
    130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159, 166,
    176, 177, 180, 181, 182, 185, 186, 187, 188, 189, 198, 199,
)
_FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)} | {0x20: 0x3000}


@dataclass(frozen=True)
class DemoData:
    """One generated data set: the two source tables exactly as written, and their truth.

    ``customers`` holds every column as text, as a raw export does (ages such as ``N/A`` or
    ``999``); ``transactions`` holds text columns and a float ``amount``. ``value_labels``
    (language -> column -> value -> label) is written beside the data for the params'
    ``columns.value_labels``.
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    customers_truth: pd.DataFrame
    transactions_truth: pd.DataFrame
    value_labels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PlantedGroup:
    """Who a planted customer group is and how it buys.

    Categorical attributes are weights over the module's vocabularies. ``income`` is the median
    in thousands a year, ``order_amount`` the median order; ``returns`` is the share of orders
    refunded in full or in part. ``new_share`` of the group first buy inside the window; the
    others had been customers for ``tenure`` years on average. ``stops`` bounds the day the
    group stops buying (None: still buying at the window's end).
    """

    name: str
    share: float
    age: tuple[int, int]
    income: float
    male: float
    cities: dict[str, float]
    channel: dict[str, float]
    tier: dict[str, float]
    occupation: dict[str, float]
    interest: dict[str, float]
    orders_per_year: float
    order_amount: float
    returns: float
    tenure: float
    new_share: float
    stops: tuple[str, str] | None = None


# --- the engine ---------------------------------------------------------------------------------

def generate_groups(rng, groups, n_customers, rate_scale) -> DemoData:
    """Draw people, their orders and their second records, then write both tables and plant
    the problems."""
    n_dup = count_of(CUSTOMER_PROBLEMS["duplicate"], n_customers)
    people = draw_people(rng, groups, n_customers - n_dup)
    orders = draw_orders(rng, groups, people, rate_scale)
    dup_of, dup_signup, record = split_duplicates(rng, people, orders, n_dup)
    # The CRM numbers customers as they sign up, so a duplicate's id follows its survivor's.
    signup = np.concatenate([people["signup"], dup_signup])
    rank = np.empty(len(signup), dtype=np.int64)
    rank[np.argsort(signup, kind="stable")] = np.arange(len(signup))
    n_unknown = count_of(TRANSACTION_PROBLEMS["unknown_customer"], len(record))
    n_ghost = max(1, n_unknown // 3)  # ids past the last customer: deleted, or never in the CRM
    width = max(6, len(str(n_customers + n_ghost)))
    ids = join_text("C", zero_pad(np.arange(1, n_customers + n_ghost + 1), width))

    records = draw_records(rng, people, dup_of)
    first = day_of(SIGNUP_START)
    records["signup_date"] = pandas_text(date_texts(signup - first, SIGNUP_START, WINDOW_DAYS - first))
    customers, customers_truth = customer_table(rng, groups, people, records, dup_of, rank, ids)
    lines = draw_lines(rng, groups, people, orders, rank[record], n_customers, n_ghost, n_unknown)
    transactions, transactions_truth = transaction_table(rng, lines, ids)
    return DemoData(customers, transactions, customers_truth, transactions_truth, VALUE_LABELS)


def draw_people(rng, groups, n) -> dict[str, np.ndarray]:
    """Draw each person's group, demographics and buying habits (codes and numbers, no text)."""
    group = rng.choice(len(groups), size=n, p=normalised([g.share for g in groups]))

    def per_group(attr):
        return np.array([getattr(g, attr) for g in groups])[group]

    lo, hi = per_group("age").T
    income = per_group("income") * rng.lognormal(0.0, 0.25, n)
    people = {
        "group": group,
        "male": rng.random(n) < per_group("male"),
        "age": np.rint(lo + (hi - lo) * rng.beta(2.0, 2.0, n)).astype(np.int64),
        "income_tenths": np.rint(np.clip(income, 12, 5000) * 10).astype(np.int64),
        # a tenth of every group lives anywhere: groups overlap in cities as in real life
        "city": draw_codes(rng, group, _weights(groups, "cities", CITY_REGION, spread=0.1)),
    }
    for attr, vocab in (("channel", CHANNELS), ("tier", TIERS), ("occupation", OCCUPATIONS),
                        ("interest", INTERESTS)):
        people[attr] = draw_codes(rng, group, _weights(groups, attr, vocab))

    # Buying period in days from the window's start, [active_from, active_to].
    stops = np.array([_stop_days(g) for g in groups])[group]
    active_to = stops[:, 0] + np.floor(rng.random(n) * (stops[:, 1] - stops[:, 0] + 1))
    is_new = rng.random(n) < per_group("new_share")
    # New customers join in the first 60 % of their buying period, so each has a history.
    start = np.floor(rng.random(n) * 0.6 * active_to).astype(np.int64)
    people["active_from"] = np.where(is_new, start, 0)
    people["active_to"] = active_to.astype(np.int64)
    # Tenure before the window: exponential, truncated at the CRM's first day (inverse CDF).
    mean, most = per_group("tenure") * 365.25, -1 - day_of(SIGNUP_START)
    tenure = -mean * np.log1p(-rng.random(n) * -np.expm1(-most / mean))
    signup = np.where(is_new, start - rng.integers(0, 30, n), -1 - tenure.astype(np.int64))
    people["signup"] = np.maximum(signup, day_of(SIGNUP_START))
    return people


def _stop_days(group: PlantedGroup) -> tuple[int, int]:
    if group.stops is None:
        return WINDOW_DAYS - 1, WINDOW_DAYS - 1
    return day_of(group.stops[0]), day_of(group.stops[1])


def draw_orders(rng, groups, people, rate_scale) -> dict[str, np.ndarray]:
    """Draw every order of every person in one vectorised pass, sorted by day.

    Returns each order's ``owner`` (person), ``day`` and ``amount``, and each person's
    ``first`` and ``last`` order day.
    """
    group = people["group"]
    n = len(group)
    span = people["active_to"] - people["active_from"] + 1
    rate = np.array([g.orders_per_year for g in groups])[group] * rate_scale
    rate = rate * rng.gamma(6.0, 1 / 6, n)  # people differ around their group's rate
    counts = np.maximum(1, rng.poisson(rate * span / 365.25))
    owner = np.repeat(np.arange(n, dtype=np.int32), counts)
    day = people["active_from"][owner] + np.floor(rng.random(len(owner)) * span[owner])
    day = day.astype(np.int16)
    starts = np.cumsum(counts) - counts
    first, last = np.minimum.reduceat(day, starts), np.maximum.reduceat(day, starts)
    # A stable radix sort: orders of one day keep the people's order, which is random.
    by_day = np.argsort(day, kind="stable")
    owner, day = owner[by_day], day[by_day]
    typical = np.array([g.order_amount for g in groups])[group] * rng.lognormal(0.0, 0.25, n)
    amount = typical[owner] * rng.lognormal(0.0, 0.45, len(owner))
    amount = np.round(np.maximum(1.0, amount), 2)
    return {"owner": owner, "day": day, "amount": amount, "first": first, "last": last}


def split_duplicates(rng, people, orders, n_dup):
    """Give some people a second customer record that takes over their later orders.

    Returns the person each second record belongs to, its signup day, and the record of every
    order (person ``i`` is record ``i``; second record ``j`` is record ``n_people + j``).
    """
    n_people = len(people["group"])
    first, last = orders["first"].astype(np.int64), orders["last"].astype(np.int64)
    # People who bought on two days or more first (random among them), so that both records
    # keep orders; others only if there are too few of those (tiny volumes).
    priority = rng.random(n_people) + (last == first)
    dup_of = np.sort(np.argsort(priority, kind="stable")[:n_dup])
    # Signed up again on a day in (first, last]: orders from that day on go to the new record.
    gap = last[dup_of] - first[dup_of]
    dup_signup = first[dup_of] + 1 + np.floor(rng.random(n_dup) * gap).astype(np.int64)
    dup_signup = np.minimum(dup_signup, WINDOW_DAYS - 1)
    second = np.full(n_people, -1)
    second[dup_of] = np.arange(n_dup)
    j = second[orders["owner"]]
    moved = (j >= 0) & (orders["day"] >= dup_signup[np.maximum(j, 0)])
    return dup_of, dup_signup, np.where(moved, n_people + j, orders["owner"])


def draw_records(rng, people, dup_of) -> pd.DataFrame:
    """Customer records as text: one per person, then the second records written differently."""
    n_dup = len(dup_of)
    contacts = draw_contacts(rng, people["male"], people["age"])
    city = list(CITY_REGION)
    tenths = people["income_tenths"]
    columns = {
        "name": contacts["name"],
        "email": join_text(contacts["local"], "@", contacts["domain"]),
        "phone": phone_texts(contacts["phone"], contacts["format"]),
        "gender": _lookup(("female", "male"), people["male"].astype(np.int64)),
        "age": arrow_text(people["age"]),
        "income": join_text(arrow_text(tenths // 10), ".", arrow_text(tenths % 10)),
        "city": _lookup(city, people["city"]),
        "region": _lookup([CITY_REGION[c] for c in city], people["city"]),
        "channel": _lookup(CHANNELS, people["channel"]),
        "membership_tier": _lookup(TIERS, people["tier"]),
        "occupation": _lookup(OCCUPATIONS, people["occupation"]),
        "interest": _lookup(INTERESTS, people["interest"]),
    }
    persons = pd.DataFrame({k: pandas_text(v) for k, v in columns.items()})

    # The same person written differently: email in case or spacing, phone in another format,
    # name with other spaces or full-width letters, and now and then one field left empty.
    dups = persons.iloc[dup_of].reset_index(drop=True)
    of_dup = pa.array(dup_of)
    email, domain = columns["email"].take(of_dup), contacts["domain"].take(of_dup)
    dups["email"] = pandas_text(pc.choose(
        pa.array(rng.integers(0, 4, n_dup)), pc.utf8_upper(email), join_text(" ", email),
        join_text(email, "  "), join_text(contacts["local"].take(of_dup), "@", pc.utf8_upper(domain)),
    ))
    other_format = (contacts["format"][dup_of] + rng.integers(1, 4, n_dup)) % 4
    dups["phone"] = pandas_text(phone_texts(contacts["phone"][dup_of], other_format))
    space = _lookup((" ", "\u3000"), rng.integers(0, 2, n_dup))
    spaced = join_text(contacts["surname"].take(of_dup), space, contacts["given"].take(of_dup))
    name = dups["name"]
    latin = np.where(rng.random(n_dup) < 0.5, name.str.translate(_FULL_WIDTH),
                     name.str.replace(" ", "  "))
    in_characters = contacts["style"][dup_of] == 0
    dups["name"] = np.where(in_characters, spaced.to_numpy(zero_copy_only=False), latin)
    blank = np.where(rng.random(n_dup) < 0.3, rng.integers(0, 3, n_dup), -1)
    for i, col in enumerate(("age", "income", "city")):
        dups.loc[blank == i, col] = ""
    dups.loc[blank == 2, "region"] = ""
    return pd.concat([persons, dups], ignore_index=True)


def customer_table(rng, groups, people, records, dup_of, rank, ids):
    """Plant the customer problems, order the records by id, and write the truth beside them."""
    n_people, n = len(people["group"]), len(records)
    id_text, problem, duplicate_of, rows = plant_labels(rng, n_people, n, ids, rank, dup_of, CUSTOMER_PROBLEMS)

    def put(col, where, values):
        picked = rng.integers(0, len(values), len(where))
        records.loc[where, col] = np.asarray(values, dtype=object)[picked]

    put("age", rows["missing_age"], MISSING_NUMBER)
    put("income", rows["missing_income"], MISSING_NUMBER)
    put("city", rows["missing_city"], MISSING_TEXT)
    records.loc[rows["missing_city"], "region"] = ""
    put("gender", rows["missing_gender"], MISSING_TEXT)
    put("age", rows["impossible_age"], IMPOSSIBLE_AGES)
    put("signup_date", rows["bad_date"], BAD_DATES)
    future = rows["future_date"]
    records.loc[future, "signup_date"] = future_dates(rng, records.loc[future, "signup_date"])
    variant = rows["category_variant"]
    male = people["male"][variant].astype(np.int64)
    spelling = rng.integers(0, len(_GENDER_VARIANTS[0]), len(variant))
    records.loc[variant, "gender"] = np.asarray(_GENDER_VARIANTS, dtype=object)[male, spelling]

    # Lines in customer-id order; an exact duplicate line follows its original.
    line, is_copy = with_copies(np.argsort(rank), rows["exact_duplicate"])
    customers = records.iloc[line].reset_index(drop=True)
    customers.insert(0, "customer_id", pandas_text(id_text[rank[line]]))
    customers = customers[list(CUSTOMER_COLUMNS)]
    person = np.concatenate([np.arange(n_people), dup_of])[line]
    group_names = np.array([g.name for g in groups], dtype=object)
    truth = pd.DataFrame({
        "source_row": np.arange(1, len(line) + 1),
        "customer_id": customers["customer_id"],
        "planted_group": pandas_text(group_names[people["group"][person]]),
        "problem": pandas_text(np.where(is_copy, "exact_duplicate", problem[line])),
        "duplicate_of": pandas_text(np.where(is_copy, id_text[rank[line]], duplicate_of[line])),
    })
    return customers, truth


def plant_labels(rng, n_people, n, ids, rank, dup_of, shares):
    """The truth labels of customer records: duplicates first, then the other planted problems.

    Returns the ids as text, the problem label and ``duplicate_of`` per record, and the rows
    chosen for each problem (disjoint; survivors of duplicates stay clean, they anchor the merge).
    """
    id_text = np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
    problem = np.full(n, "", dtype=object)
    problem[n_people:] = "duplicate"
    duplicate_of = np.full(n, "", dtype=object)
    duplicate_of[n_people:] = id_text[rank[dup_of]]
    survivor = np.zeros(n_people, bool)
    survivor[dup_of] = True
    rows = _disjoint(rng, np.flatnonzero(~survivor), shares, n, skip="duplicate")
    for label, where in rows.items():
        if label != "exact_duplicate":  # there the copy carries the label
            problem[where] = label
    return id_text, problem, duplicate_of, rows


def draw_lines(rng, groups, people, orders, id_number, n_customers, n_ghost, n_unknown):
    """Every transaction line in date order: the orders, their returns, and orders of unknown
    customers. Returns arrays per line: ``day``, ``amount``, ``id_number`` (index into the
    ids), ``label`` (index into the line labels), ``order_no`` and ``has_return``."""
    day, amount = orders["day"], orders["amount"]
    n_orders = len(day)
    # Returns: a later line "C<order_id>" refunding all or part of the order.
    rate = np.array([g.returns for g in groups])[people["group"]][orders["owner"]]
    returned = np.flatnonzero(rng.random(n_orders) < rate)
    return_day = day[returned] + rng.integers(1, 31, len(returned))
    in_window = return_day < WINDOW_DAYS
    returned, return_day = returned[in_window], return_day[in_window]
    refund = np.where(rng.random(len(returned)) < 0.6, 1.0, rng.uniform(0.1, 0.9, len(returned)))
    like = rng.integers(0, n_orders, n_unknown)  # unknown customers' orders look like real ones
    extra = {
        "day": np.concatenate([return_day, day[like]]),
        "amount": np.concatenate([-np.round(amount[returned] * refund, 2), amount[like]]),
        "id_number": np.concatenate([
            id_number[returned], n_customers + rng.integers(0, n_ghost, n_unknown)]),
        "label": np.repeat(np.array([_LINE_LABELS.index(k) for k in ("return", "unknown_customer")],
                                    np.int8), [len(returned), n_unknown]),
        "source": np.concatenate([returned, np.full(n_unknown, -1)]),
    }
    by_day = np.argsort(extra["day"].astype(np.int16), kind="stable")
    extra = {k: v[by_day] for k, v in extra.items()}

    # Merge without sorting everything again: extra lines follow the orders of their day.
    def per_day(d):
        return np.bincount(d, minlength=WINDOW_DAYS)

    n_extra = len(extra["day"])
    at_order = np.arange(n_orders) + (np.cumsum(per_day(extra["day"])) - per_day(extra["day"]))[day]
    at_extra = np.cumsum(per_day(day))[extra["day"]] + np.arange(n_extra)

    def merged(of_orders, of_extra):
        out = np.empty(n_orders + n_extra, dtype=np.result_type(of_orders, of_extra))
        out[at_order], out[at_extra] = of_orders, of_extra
        return out

    has_return = np.zeros(n_orders, bool)
    has_return[returned] = True
    lines = {
        "day": merged(day.astype(np.int64), extra["day"]),
        "amount": merged(amount, extra["amount"]),
        "id_number": merged(id_number, extra["id_number"]),
        "label": merged(np.zeros(n_orders, np.int8), extra["label"]),
        "has_return": merged(has_return, np.zeros(n_extra, bool)),
    }
    # Orders are numbered by date; a return carries the number of its order.
    order_no = np.cumsum(lines["label"] != _LINE_LABELS.index("return"))
    of_return = extra["source"] >= 0
    order_no[at_extra[of_return]] = order_no[at_order[extra["source"][of_return]]]
    lines["order_no"] = order_no
    return lines


def transaction_table(rng, lines, ids):
    """Plant the transaction problems on ordinary unreturned orders and write the truth."""
    label, amount, day = lines["label"], lines["amount"], lines["day"]
    ordinary = np.flatnonzero((label == 0) & ~lines["has_return"])
    rows = _disjoint(rng, ordinary, TRANSACTION_PROBLEMS, len(label), skip="unknown_customer")
    for name in ("bad_amount", "future_date", "bad_date"):
        label[rows[name]] = _LINE_LABELS.index(name)
    bad = rows["bad_amount"]
    rng.random(len(bad))  # drawn as before, so that every later draw stays the same
    amount[bad] = -amount[bad]  # a negative amount on an order not marked as a return
    dropped = _plant_patterns(rng.spawn(1)[0], lines, ordinary, rows)
    # Broken dates are extra entries of the date lookup table, so millions of lines stay fast.
    future, unparseable = rows["future_date"], rows["bad_date"]
    odd_dates = [*future_dates(rng, (WINDOW_START + day[future]).astype(str)), *BAD_DATES]
    day[future] = WINDOW_DAYS + np.arange(len(future))
    which = rng.integers(0, len(BAD_DATES), len(unparseable))
    day[unparseable] = WINDOW_DAYS + len(future) + which

    line, is_copy = with_copies(np.arange(len(label)), rows["exact_duplicate"])
    line, is_copy = line[~dropped[line]], is_copy[~dropped[line]]
    label = np.where(is_copy, _LINE_LABELS.index("exact_duplicate"), label[line])
    is_return = label == _LINE_LABELS.index("return")
    order_no = lines["order_no"][line]
    width = max(7, len(str(order_no.max())))
    order_id = join_text(_lookup(("", "C"), is_return.astype(np.int64)), "O", zero_pad(order_no, width))
    transactions = pd.DataFrame({
        "customer_id": pandas_text(ids.take(pa.array(lines["id_number"][line]))),
        "order_id": pandas_text(order_id),
        "order_date": pandas_text(date_texts(day[line], WINDOW_START, WINDOW_DAYS, odd_dates)),
        "amount": amount[line],
    })
    truth = pd.DataFrame({
        "source_row": np.arange(1, len(line) + 1),
        "order_id": transactions["order_id"],
        "problem": pandas_text(_lookup(_LINE_LABELS, label.astype(np.int64))),
    })
    return transactions, truth


def _plant_patterns(rng, lines, ordinary, problems) -> np.ndarray:
    """Plant :data:`LINE_PATTERNS` (with their own random stream, so the problems are drawn as
    before): free purchases on ordinary lines and on the one order of some customers, and
    customers with one returned order whose purchase line is left out of the export.
    Returns which lines to leave out."""
    label, amount, owner = lines["label"], lines["amount"], lines["id_number"]
    ordinary = np.setdiff1d(ordinary, np.concatenate(list(problems.values())))
    orders = np.flatnonzero(label != _LINE_LABELS.index("return"))
    single = (np.bincount(owner[orders], minlength=int(owner.max()) + 1) == 1)[owner]
    returned = lines["has_return"]

    def some(candidates, share):
        return rng.choice(candidates, size=min(len(candidates), count_of(share, len(candidates))), replace=False)

    free = np.union1d(some(ordinary, LINE_PATTERNS["free_purchase"]),
                      some(ordinary[single[ordinary]], LINE_PATTERNS["free_only"]))
    amount[free] = 0.0
    label[free] = _LINE_LABELS.index("free_purchase")
    gone = some(orders[single[orders] & returned[orders] & (label[orders] == 0)], LINE_PATTERNS["returns_only"])
    dropped = np.zeros(len(label), bool)
    dropped[gone] = True
    return dropped


def draw_contacts(rng, male, age) -> dict:
    """Names, email parts and mobile numbers, in Chinese, pinyin and English styles.

    No two people share an email (ignoring case) or a phone number: de-duplication that merges
    on them must only merge the planted duplicates.
    """
    n = len(male)

    def characters_and_pinyin(words):
        return pa.array([w[0] for w in words]), pa.array([w[1:] for w in words])

    def by_gender(pools):  # an index into pools[0] + pools[1], from the pool of one's gender
        m, f = len(pools[0]), len(pools[1])
        return pa.array(np.where(male, rng.integers(0, m, n), m + rng.integers(0, f, n)))

    surname_chars, surname_pinyin = characters_and_pinyin(_SURNAMES)
    given_chars, given_pinyin = characters_and_pinyin(_GIVEN[0] + _GIVEN[1])
    sur = pa.array(rng.integers(0, len(_SURNAMES), n))
    g1, g2 = by_gender(_GIVEN), by_gender(_GIVEN)
    two = pa.array(rng.random(n) < 0.6)  # a two-character given name
    given = join_text(given_chars.take(g1), pc.if_else(two, given_chars.take(g2), ""))
    given_py = join_text(given_pinyin.take(g1), pc.if_else(two, given_pinyin.take(g2), ""))
    english = pa.array(_ENGLISH[0] + _ENGLISH[1]).take(by_gender(_ENGLISH))
    surname, sur_py = surname_chars.take(sur), surname_pinyin.take(sur)
    style = rng.choice(3, size=n, p=[0.6, 0.15, 0.25])  # 王伟, Wei Wang, Emily Wang
    name = pc.choose(
        pa.array(style), join_text(surname, given),
        join_text(pc.utf8_capitalize(given_py), " ", pc.utf8_capitalize(sur_py)),
        join_text(english, " ", pc.utf8_capitalize(sur_py)),
    )
    first = pc.if_else(pa.array(style == 2), pc.utf8_lower(english), given_py)
    birth_year = zero_pad((WINDOW_END.astype(object).year - age) % 100, 2)
    way = rng.choice(4, size=n, p=[0.35, 0.3, 0.2, 0.15])  # wei.wang, wangwei98, wwang123, QQ
    local = pc.choose(
        pa.array(way), join_text(first, ".", sur_py), join_text(sur_py, first, birth_year),
        join_text(pc.utf8_slice_codeunits(first, 0, 1), sur_py, arrow_text(rng.integers(100, 1000, n))),
        arrow_text(rng.integers(10_000_000, 3_000_000_000, n)),
    )
    domain_codes = rng.choice(len(_DOMAINS), n, p=normalised(list(_DOMAINS.values())))
    domain = pc.if_else(pa.array(way == 3), "qq.com", _lookup(_DOMAINS, domain_codes))
    while (taken := repeated(pc.utf8_lower(join_text(local, "@", domain)))).any():
        local = pc.if_else(pa.array(taken), join_text(local, arrow_text(rng.integers(1, 100, n))), local)
    prefix = np.array(_MOBILE_PREFIXES)[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    phone = prefix * 10**8 + rng.integers(0, 10**8, n)
    while (taken := repeated(phone)).any():
        phone[taken] = phone[taken] // 10**8 * 10**8 + rng.integers(0, 10**8, taken.sum())
    return {
        "name": name, "local": local, "domain": domain, "phone": phone,
        "format": rng.choice(4, size=n, p=[0.45, 0.25, 0.15, 0.15]),
        "style": style, "surname": surname, "given": given,
    }


def phone_texts(number: np.ndarray, form: np.ndarray) -> pa.Array:
    """Mobile numbers written the four ways people write them, chosen by ``form``:
    13812345678, 138 1234 5678, +86 138-1234-5678, 0086 13812345678."""
    digits = arrow_text(number)
    a, b, c = (pc.utf8_slice_codeunits(digits, i, j) for i, j in ((0, 3), (3, 7), (7, 11)))
    return pc.choose(pa.array(form), digits, join_text(a, " ", b, " ", c),
                     join_text("+86 ", a, "-", b, "-", c), join_text("0086 ", digits))


def future_dates(rng, iso_dates) -> np.ndarray:
    """The same month and day in a far-future year: in the future whatever today is."""
    which = rng.integers(0, len(_FUTURE_YEARS), len(iso_dates))
    years = np.asarray(_FUTURE_YEARS, dtype=object)[which]
    return years + np.array([d[4:] for d in iso_dates], dtype=object)


# --- small vectorised helpers -------------------------------------------------------------------

def count_of(share, n) -> int:
    """Rows that get a planted problem: its share of ``n``, at least one so that it always shows."""
    return max(1, round(share * n))


def _disjoint(rng, eligible, shares, n, *, skip) -> dict[str, np.ndarray]:
    """Distinct rows of ``eligible`` for each problem in ``shares`` but ``skip``."""
    labels = [k for k in shares if k != skip]
    sizes = [count_of(shares[k], n) for k in labels]
    chosen = rng.choice(eligible, size=sum(sizes), replace=False)
    return dict(zip(labels, np.split(chosen, np.cumsum(sizes)[:-1])))


def with_copies(order, copied) -> tuple[np.ndarray, np.ndarray]:
    """Rows in ``order``, each row of ``copied`` twice in a row; and which lines are the copies."""
    twice = np.zeros(len(order), dtype=np.int64)
    twice[copied] = 1
    line = np.repeat(order, 1 + twice[order])
    is_copy = np.zeros(len(line), dtype=bool)
    is_copy[1:] = line[1:] == line[:-1]
    return line, is_copy


def repeated(values) -> np.ndarray:
    """Which values repeat an earlier one."""
    if isinstance(values, pa.Array):
        values = pd.array(values, dtype="str")
    return pd.Series(values).duplicated().to_numpy()


def normalised(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _weights(groups, attr, vocab, spread=0.0) -> np.ndarray:
    """Each group's probabilities over ``vocab`` (one row each), mixed with ``spread`` of a
    uniform draw."""
    vocab = list(vocab)
    table = np.zeros((len(groups), len(vocab)))
    for i, g in enumerate(groups):
        for key, w in getattr(g, attr).items():
            table[i, vocab.index(key)] = w
    table /= table.sum(axis=1, keepdims=True)
    return (1 - spread) * table + spread / len(vocab)


def draw_codes(rng, group, table) -> np.ndarray:
    """One category code per row, drawn from the probabilities of the row's group."""
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    return (rng.random(len(group))[:, None] >= cdf[group]).sum(axis=1)


def date_texts(day, origin, n_days, odd=()) -> pa.Array:
    """ISO dates of day offsets from ``origin`` through a lookup table (fast for millions);
    offsets from ``n_days`` on pick the ``odd`` strings."""
    table = (origin + np.arange(n_days)).astype(str).tolist() + list(odd)
    return pa.array(table, pa.string()).take(pa.array(day))


def arrow_text(values) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def zero_pad(numbers, width) -> pa.Array:
    return pc.utf8_lpad(arrow_text(numbers), width=width, padding="0")


def join_text(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _lookup(values, codes) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(codes))


def pandas_text(values) -> pd.api.extensions.ExtensionArray:
    """A pandas string column from Arrow strings or a numpy array of str."""
    return pd.array(values, dtype="str")
