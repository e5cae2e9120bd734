"""Words that must not name a segment: placeholders, dates, codes, and odd or offensive words.

A segment's name is made of the data's values ("Chengdu", "running"). Some values
say nothing about who people are ("unknown", "other", "may" — the month a bank
last called), some are codes ("A12", "3"), and some would insult the people a
client is about to write to ("cheapskates", "屌丝"). The report keeps such values
on the persona card with their numbers; they never enter a name.
"""

from __future__ import annotations

import re

from seglab.i18n.headers import slug

__all__ = ["offensive", "placeholder", "repeats", "temporal"]

PLACEHOLDERS = {"unknown", "other", "others", "n/a", "na", "none", "null", "nan", "missing", "misc", "unspecified",
                "not specified", "undefined", "-", "?", "未知", "其他", "其它", "无", "不详", "空"}
MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
          "february", "march", "april", "june", "july", "august", "september", "october", "november", "december",
          "mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday", "friday",
          "saturday", "sunday"}
TEMPORAL_COLUMNS = {"month", "day", "weekday", "date", "year", "quarter", "week", "hour", "月份", "日期", "年份"}
# Words that demean the people a segment is made of, in the report languages. Matched as whole
# words in Latin text and as substrings in Chinese. Short on purpose: it guards generated names,
# not free text.
OFFENSIVE = {"idiot", "idiots", "stupid", "dumb", "moron", "morons", "loser", "losers", "lazy", "ugly", "fat",
             "trash", "trashy", "junk", "scum", "deadbeat", "deadbeats", "cheapskate", "cheapskates", "stingy",
             "freeloader", "freeloaders", "worthless", "useless", "peasant", "peasants", "redneck", "rednecks",
             "ghetto", "retard", "retarded", "crazy", "psycho", "bitch", "bastard", "fuck", "fucking", "shit",
             "crap", "damn", "whale", "whales", "sucker", "suckers", "geezer", "geezers", "hag", "senile", "cripple",
             "cripples", "spinster", "gypsy", "gypsies", "illegal", "illegals", "nigger", "faggot", "slut", "whore"}
OFFENSIVE_ZH = ("屌丝", "穷鬼", "穷人", "傻", "笨蛋", "废物", "垃圾", "低端人口", "韭菜", "土鳖", "乡巴佬", "老不死",
                "残废", "白痴", "智障", "婊", "死胖子", "剩女", "冤大头", "肥羊")
_LATIN_WORDS = re.compile(r"[a-z]+")
_CODE = re.compile(r"^[\W\d_]*$|^[a-z]{0,2}\d+[a-z]{0,2}$", re.I)


def placeholder(value) -> bool:
    """A value that stands for no answer ("unknown", "other"), or a bare code or number ("3", "A12")."""
    text = str(value).strip().casefold()
    return text in PLACEHOLDERS or bool(_CODE.match(text)) or len(text) > 30


def temporal(feature: str, value) -> bool:
    """A month, weekday or date-like column: when something happened, not who people are."""
    words = set(slug(feature).split("_"))
    return bool(words & TEMPORAL_COLUMNS) or str(value).strip().casefold() in MONTHS


def offensive(text: str) -> bool:
    """Whether ``text`` holds a word that demeans people (English words, Chinese substrings)."""
    low = str(text).casefold()
    return bool(set(_LATIN_WORDS.findall(low)) & OFFENSIVE) or any(w in low for w in OFFENSIVE_ZH)


def repeats(value: str, label: str) -> bool:
    """Whether a value already says its column ("west region" of region, "gold tier" of membership tier)."""
    value_words = set(_LATIN_WORDS.findall(str(value).casefold()))
    label_words = {w for w in _LATIN_WORDS.findall(str(label).casefold()) if len(w) > 2}
    if value_words & label_words:
        return True
    return bool(label) and not str(label).isascii() and str(label) in str(value)
