"""Strings no reader means as a question, of the kinds seen typed into search boxes: random
letters (`zxqv blorf`), keyboard runs, punctuation, emoji, digits, letters and digits mixed.
Deterministic for a seed, so a calibration and a benchmark are repeatable."""

from __future__ import annotations

import random
import string

KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
EMOJI = "😀😂🤔🙈🚀🔥🍕🎉🐱🌈👍💡🥑🎸⚽🌍"


def nonsense(count: int, seed: int = 7) -> list[str]:
    """`count` nonsense strings, the kinds in turn."""
    rng = random.Random(seed)
    kinds = [_words, _keyboard, _punctuation, _emoji, _digits, _mixed]
    return [kinds[i % len(kinds)](rng) for i in range(count)]


def _words(rng: random.Random) -> str:  # zxqv blorf
    return " ".join(_letters(rng, rng.randint(3, 7)) for _ in range(rng.randint(1, 3)))


def _letters(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=length))


def _keyboard(rng: random.Random) -> str:  # asdfgh
    row, start = rng.choice(KEYBOARD), rng.randint(0, 3)
    return row[start : start + rng.randint(4, 8)]


def _punctuation(rng: random.Random) -> str:  # ???
    return "".join(rng.choices("?!.,;:-*#&%$@", k=rng.randint(1, 5)))


def _emoji(rng: random.Random) -> str:
    return "".join(rng.choices(EMOJI, k=rng.randint(1, 4)))


def _digits(rng: random.Random) -> str:
    return "".join(rng.choices(string.digits, k=rng.randint(2, 8)))


def _mixed(rng: random.Random) -> str:  # x7Qp2LmZ
    return "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(6, 14)))
