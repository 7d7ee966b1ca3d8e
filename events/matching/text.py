"""Chinese text for the matcher: jieba with the shipped domain dictionary, and synonym groups.

`data/dict.txt` holds technical terms jieba must keep whole (深度学习, 瑕疵检测, 细胞培养…), one a
line in jieba's user-dictionary format. `data/synonyms.txt` holds groups of words meaning the same
thing to a matcher (布匹 织物 面料): every word of a group maps to the group's first word, its
canonical term. Both are loaded once, into a private jieba.Tokenizer (jieba's own dictionary
comes from its wheel; nothing is downloaded).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

DATA = Path(__file__).resolve().parent / "data"

# Words that say nothing about the technology (and jieba keeps whole).
STOPWORDS = frozenset(
    """
    我们 我司 公司 企业 工厂 厂里 目前 现在 主要 问题 需要 希望 想要 进行 实现 以及 一种 一个 一些
    这个 那个 这些 没有 不能 不会 可以 能够 如何 怎么 怎样 什么 比较 非常 很多 太多 太高 经常 总是
    已经 还是 而且 并且 或者 通过 采用 基于 用于 对于 关于 其中 相关 方面 方法 技术 系统 研究 开发
    提供 提高 提升 降低 减少 增加 解决 具有 包括 利用 使用 应用 有效 显著 目的 效果 本项目 项目
    成果 装置 平台 达到 大量 同时 每天 每年 一直 因为 所以 但是 然后 不同 可能 主要 找到 帮助 我们的
    """.split()
)
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_lock = threading.Lock()


@dataclass(frozen=True)
class Term:
    surface: str  # the word as written
    canon: str  # its synonym group's first word (itself when in no group)


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """word → canonical word, from data/synonyms.txt (`#` starts a comment)."""
    table: dict[str, str] = {}
    for line in (DATA / "synonyms.txt").read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        for word in words:
            table.setdefault(word, words[0])
    return table


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    with _lock:
        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        tok.load_userdict(str(DATA / "dict.txt"))
        for word in synonyms():  # a synonym must come out of jieba whole to be found
            if len(word) > 1:
                tok.add_word(word, freq=20000)
        return tok


def terms(text: str) -> list[Term]:
    """The meaningful words of a text, each with its canonical form (stopwords, punctuation,
    numbers and single characters dropped, except single characters that are synonyms)."""
    if not text:
        return []
    table = synonyms()
    out = []
    for word in tokenizer().lcut(text, HMM=False):
        word = word.strip().lower()
        if not word or not _KEEP.search(word) or word.isdigit() or word in STOPWORDS:
            continue
        if len(word) == 1 and word not in table:
            continue
        out.append(Term(word, table.get(word, word)))
    return out
