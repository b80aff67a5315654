"""The one tokenizer used at build time and at query time.

Lowercase, split into Unicode words, drop English stopwords, Snowball-stem. Its settings are
stored in every index manifest, so a query is always tokenized the way the index was.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import Stemmer

from papersift.index.papers.paper import Paper

WORD = re.compile(r"\w+", re.UNICODE)
WORD_TAIL = re.compile(r"\w*", re.UNICODE)

# The common English function words (the NLTK list, without contractions' fragments).
ENGLISH_STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class TokenizerSettings:
    """How text becomes terms; part of the index manifest."""

    lowercase: bool = True
    stopwords: str = "english"  # "english" or "none"
    stemmer: str = "english"  # a PyStemmer algorithm name, or "none"
    title_weight: int = 2  # a paper's title terms count this many times in BM25

    def __post_init__(self) -> None:
        if self.title_weight < 1:
            raise ValueError("title_weight must be 1 or more")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenizerSettings:
        """Settings from a manifest; indexes written before `title_weight` existed used 1."""
        return cls(**{"title_weight": 1, **data})


@functools.lru_cache(maxsize=1024)
def _prefixes(terms: frozenset[str]) -> tuple[str, ...]:
    """What a word that stems to one of `terms` starts with (Snowball keeps all but a term's
    last letters as they were; at least 3)."""
    return tuple(sorted({term[: max(3, len(term) - 2)] for term in terms}, key=len, reverse=True))


@functools.lru_cache(maxsize=1024)
def _prefix_pattern(terms: frozenset[str]) -> re.Pattern[str]:
    """A regex for the words that start with one of the terms' prefixes."""
    alternatives = "|".join(map(re.escape, _prefixes(terms)))
    return re.compile(r"\b(?:" + alternatives + r")\w*", re.IGNORECASE | re.UNICODE)


def _is_word_character(character: str) -> bool:
    return character.isalnum() or character == "_"  # what `\w` matches


def _spans_of_words_starting(text: str, prefixes: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans of the words of `text` that start with one of `prefixes`, in text order: a
    `str.find` per occurrence, several times faster than a regex scan of the whole text."""
    spans = set()
    for prefix in prefixes:
        start = text.find(prefix)
        while start != -1:
            if start == 0 or not _is_word_character(text[start - 1]):
                match = WORD_TAIL.match(text, start)
                spans.add((start, match.end() if match else start + len(prefix)))
            start = text.find(prefix, start + len(prefix))
    return sorted(spans)


class Tokenizer:
    """Text -> list of terms, per `TokenizerSettings`."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        self.settings = settings or TokenizerSettings()
        if self.settings.stopwords not in ("english", "none"):
            raise ValueError(f"unknown stopword list {self.settings.stopwords!r}")

    @cached_property
    def _stemmer(self) -> Stemmer.Stemmer | None:
        if self.settings.stemmer == "none":
            return None
        return Stemmer.Stemmer(self.settings.stemmer)

    @cached_property
    def _stopwords(self) -> frozenset[str]:
        return ENGLISH_STOPWORDS if self.settings.stopwords == "english" else frozenset()

    def tokenize(self, text: str) -> list[str]:
        """Terms of `text`, in order, repeats kept (BM25 counts them)."""
        if self.settings.lowercase:
            text = text.lower()
        words = [word for word in WORD.findall(text) if word not in self._stopwords]
        if self._stemmer is None:
            return words
        return list(self._stemmer.stemWords(words))

    def paper_terms(self, paper: Paper) -> list[str]:
        """What BM25 indexes for `paper`: its title's terms `title_weight` times, then the rest."""
        title = self.tokenize(paper.title)
        return title * self.settings.title_weight + self.tokenize(paper.abstract)

    def find(self, text: str, terms: Collection[str]) -> list[tuple[str, int, int]]:
        """The words of `text` whose term is one of `terms`, with their character spans.

        Equal to filtering `words(text)`, but only the words that start like a term (found with
        `str.find`) are stemmed (snippets are on the hot path).
        """
        if not terms:
            return []
        haystack = text.lower() if self.settings.lowercase else text
        if len(haystack) == len(text):
            spans = _spans_of_words_starting(haystack, _prefixes(frozenset(terms)))
            words = [haystack[start:end] for start, end in spans]
        else:  # a few characters lowercase to two, which would shift the offsets
            spans = [match.span() for match in _prefix_pattern(frozenset(terms)).finditer(text)]
            words = [text[start:end].lower() for start, end in spans]  # (lowercase is on here)
        stems = self._stemmer.stemWords(words) if self._stemmer else words
        return [
            (stem, start, end)
            for (start, end), word, stem in zip(spans, words, stems, strict=True)
            if stem in terms and word not in self._stopwords
        ]

    def words(self, text: str) -> list[tuple[str, int, int]]:
        """Each indexable word of `text` with its stemmed term and character span.

        Used to highlight matched terms in snippets: a word matches when its term is a query term.
        """
        matches = [
            (match.group(0).lower() if self.settings.lowercase else match.group(0), match.span())
            for match in WORD.finditer(text)
        ]
        kept = [(word, span) for word, span in matches if word not in self._stopwords]
        unique = list(dict.fromkeys(word for word, _ in kept))
        stems = self._stemmer.stemWords(unique) if self._stemmer else unique
        term_of = dict(zip(unique, stems, strict=True))  # one stemmer call per text, not per word
        return [(term_of[word], start, end) for word, (start, end) in kept]
