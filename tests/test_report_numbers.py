"""One figure per quantity: every number of the summary table reads the same wherever else the
report shows it (cards, sentences, charts' alt text, the grid, the actions), and shares add up."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from seglab import i18n
from seglab.pipeline.stages import load_run_config
from seglab.report.render import write_report_direct
from test_sections import visible_text, write_run


class _Page(HTMLParser):
    """Tables (with their class), persona cards' text and every alt text of a page."""

    def __init__(self):
        super().__init__()
        self.tables, self.alts, self.cards = [], [], {}
        self._table = self._row = self._cell = None
        self._card = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = {"cls": a.get("class", ""), "rows": []}
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.alts.append(a.get("alt", ""))
        elif tag == "article" and "persona-card" in a.get("class", ""):
            self._card, self._depth = a["id"], 1
            self.cards[self._card] = []
        elif tag == "article" and self._card:
            self._depth += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag == "article" and self._card:
            self._depth -= 1
            if not self._depth:
                self._card = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._card:
            self.cards[self._card].append(data)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = write_run(tmp_path_factory.mktemp("numbers") / "run")
    html = write_report_direct(load_run_config(folder), folder).read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(html)
    return html, parsed


def _table(parsed, cls=None, first_header=None):
    return next(t["rows"] for t in parsed.tables
                if (cls is None or t["cls"] == cls) and (first_header is None or t["rows"][0][0] == first_header))


def test_summary_shares_add_up_to_a_total_row_of_100_percent(page):
    _, parsed = page
    rows = _table(parsed, "summary")
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert total[0] == i18n.t("col_total", "en")
    assert int(total[1].replace(",", "")) == sum(int(r[1].replace(",", "")) for r in body)
    for col in (2, 3):  # share of customers, share of revenue
        assert total[col] == "100%"
        assert sum(int(r[col].rstrip("%").replace("<1", "0")) for r in body) == 100, header[col]


def test_every_summary_number_reads_the_same_everywhere_else(page):
    html, parsed = page
    text = visible_text(html)
    summary = {r[0]: r for r in _table(parsed, "summary")[1:-1]}
    grid = {r[0]: r for r in _table(parsed, "", i18n.t("col_segment", "en"))[1:] if len(r) == 7}
    actions = {r[1]: r for r in _table(parsed, "actions-table")[1:]}
    sizes_alt = next(a for a in parsed.alts if a.startswith("Bar chart of segment sizes"))
    worth = {r[0]: r for r in _table(parsed, "money-table")[1:]}
    for name, (_, size, share, revenue, amount, cell, priority) in summary.items():
        assert worth[name][1] == amount  # revenue to date, as the actions' money table reads it
        card = " ".join(next(c for c in parsed.cards.values() if name in "".join(c)))
        assert f"{size} customers ({share})" in card and f"{revenue} of revenue" in card
        assert f"value × risk: {cell}" in card
        assert f"{name}: {size} customers ({share}) bringing {revenue} of revenue" in text  # the one-liner
        assert f"{name} {share} of customers and {revenue} of revenue" in sizes_alt
        assert grid[name][1] == cell and actions[name][0] == priority


def test_an_index_reads_the_same_in_the_table_the_text_and_the_charts(page):
    _, parsed = page
    checked = 0
    for card in parsed.cards.values():
        body = " ".join(card)
        for feature in ("age", "income"):
            label = i18n.feature_label(feature, "en")
            m = re.search(rf"(?:median|average) {label} is [^()]*\(index (\d[\d,]*)\)", body)
            if not m:
                continue
            # the card's profile table: feature, measure, segment, all customers, index
            assert re.search(rf"{label}\s*(median|average)\s*[\d.,]+\s*[\d.,]+\s*{m.group(1)}\b", body), (label, body)
            checked += 1
    assert checked >= 2
    heatmap = next(a for a in parsed.alts if a.startswith("Heatmap"))
    traits = [a for a in parsed.alts if a.startswith("Bar chart of how")]
    compared = 0
    for item in re.split(r", | and ", heatmap.split("Strongest difference per segment: ")[1].rstrip(".")):
        name, rest = item.split(": ", 1)
        trait, index = rest.rsplit(" ", 1)
        alt = next(a for a in traits if f"how {name} differs" in a)
        assert f"{trait} {index}" in alt, (trait, index, alt)
        compared += 1
    assert compared == len(parsed.cards)
