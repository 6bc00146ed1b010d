"""Snippets with the words that matched marked, the same for every backend."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from catalog.search.analysis import normalise, stem, tokens

_WORDS = re.compile(r"\w+|\W+")


def snippet(text: str, query_text: str, length: int = 160) -> Markup:
    """About ``length`` characters of ``text`` around the first match, matches in ``<mark>``."""
    wanted = set(tokens(query_text))
    parts = _WORDS.findall(text or "")
    hits = [
        i
        for i, part in enumerate(parts)
        if part[:1].isalnum() and (w := normalise(part)).isalnum() and stem(w) in wanted
    ]
    start = 0
    if hits:
        chars, start = 0, hits[0]
        while start > 0 and chars < length // 3:  # some words of context before the match
            start -= 1
            chars += len(parts[start])
    out, used = [], 0
    for i in range(start, len(parts)):
        if used >= length:
            out.append(Markup("…"))
            break
        piece = escape(parts[i])
        out.append(Markup("<mark>%s</mark>") % piece if i in hits else piece)
        used += len(parts[i])
    prefix = Markup("…") if start > 0 else Markup("")
    return prefix + Markup("").join(out)
