"""Indonesian-aware text analysis shared by every search backend.

Words → lowercase ASCII → a short curated stop list → spelling variants → PySastrawi stem
(cached, with overrides where it cuts product words too far). Concepts are synonym groups
(gula aren = gula semut = palm sugar …) recognised in a document at index time and in a query
at search time, so "palm sugar" finds "Gula Semut Aren" without expanding phrases per query.

Everything here is plain module-level functions: Whoosh pickles the analyzer into the index,
and the PostgreSQL backend feeds the same tokens into a ``tsvector``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")

# Short on purpose: Sastrawi's 809-word list drops product words ("baru", "besar", "oleh").
STOP_WORDS = frozenset(
    [
        "dan",
        "atau",
        "yang",
        "di",
        "ke",
        "dari",
        "untuk",
        "dengan",
        "pada",
        "ini",
        "itu",
        "juga",
        "adalah",
        "dalam",
        "per",
        "se",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "for",
        "with",
        "in",
        "to",
        "from",
        "by",
        "on",
        "is",
        "are",
    ]
)

# Spelling variants and regional words → the form sellers mostly write.
VARIANTS = {
    "trasi": "terasi",
    "belacan": "terasi",
    "blacan": "terasi",
    "kripik": "keripik",
    "kerupuk": "kerupuk",
    "krupuk": "kerupuk",
    "anyam": "anyaman",
    "anyamaan": "anyaman",
    "sarong": "sarung",
    "kopii": "kopi",
    "coffe": "coffee",
    "arabica": "arabika",
    "cofee": "coffee",
    "tenunan": "tenun",
    "jahe2": "jahe",
    "oleh2": "oleh",
}

# Where Sastrawi over-stems a product word, keep the word (or name the right stem).
STEM_OVERRIDES = {
    "kerajinan": "kerajinan",
    "pewarna": "pewarna",
    "camilan": "camilan",
    "makanan": "makanan",
    "minuman": "minuman",
    "anyaman": "anyam",
    "manisan": "manisan",
    "lanang": "lanang",
    "pedas": "pedas",
    "teruwai": "teruwai",
    "kelapa": "kelapa",
    "sesaot": "sesaot",
    "sembalun": "sembalun",
    "pemongkong": "pemongkong",
    "pringgasela": "pringgasela",
    "jerowaru": "jerowaru",
    "bonjeruk": "bonjeruk",
}

# English words get their plural trimmed instead (Sastrawi leaves them as they are).
_ENGLISH_PLURAL = re.compile(r"^[a-z]{3,}(?<!s)s$")


@functools.cache
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@functools.lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """One normalised word → its search form."""
    word = VARIANTS.get(word, word)
    if word in STEM_OVERRIDES:
        return STEM_OVERRIDES[word]
    if word.isdigit() or len(word) <= 3:
        return word
    if word in ENGLISH_WORDS:
        return word
    if _ENGLISH_PLURAL.match(word) and word[:-1] in ENGLISH_WORDS:
        return word[:-1]
    return _stemmer().stem(word) or word


def normalise(text: str) -> str:
    """Lowercase ASCII; "oleh-oleh" and "jahe2" stay findable as words."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    return text.lower()


def words(text: str) -> list[str]:
    """Lowercase ASCII words without stop words, unstemmed (for typo matching and display)."""
    return [w for w in _WORD.findall(normalise(text)) if w not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    """The analysed tokens of a text, in order."""
    return [stem(w) for w in words(text)]


def has_search_terms(text: str, *, prefix: bool = False) -> bool:
    """Whether a query has anything to search for: an analysed token of two letters or digits.

    Emoji, punctuation, ``*`` or ``%``, a lone letter, a stop word or a script with no ASCII
    form analyse to nothing and would otherwise match the whole catalogue. ``prefix`` is for
    autocomplete, where a stop word may be the start of a longer word ("ke" → "keripik").
    """
    found = _WORD.findall(normalise(text)) if prefix else tokens(text)
    return any(len(token) >= 2 for token in found)


# Synonym groups: concept → phrases in Indonesian and English (analysed like any text).
CONCEPT_PHRASES: dict[str, tuple[str, ...]] = {
    "palm_sugar": (
        "gula aren",
        "gula semut",
        "gula kelapa",
        "gula merah",
        "gula jawa",
        "palm sugar",
        "coconut sugar",
        "brown sugar",
        "nira",
    ),
    "shrimp_paste": ("terasi", "petis", "shrimp paste", "belacan"),
    "salt": ("garam", "salt", "sea salt"),
    "honey": ("madu", "honey"),
    "coffee": ("kopi", "coffee", "arabika", "robusta", "arabica"),
    "tea": ("teh", "tea", "wedang", "herbal tea", "infusion"),
    "ginger": ("jahe", "jahe merah", "ginger", "wedang jahe"),
    "woven_cloth": (
        "tenun",
        "songket",
        "kain tenun",
        "ikat",
        "woven cloth",
        "weaving",
        "sarung",
        "selendang",
        "syal",
        "scarf",
        "sarong",
        "textile",
    ),
    "woven_bag": (
        "tas anyaman",
        "anyaman",
        "ketak",
        "keranjang",
        "bakul",
        "basket",
        "woven bag",
        "rattan",
        "bamboo",
        "bambu",
        "pandan",
    ),
    "bag": ("tas", "bag", "handbag", "tote"),
    "chips": ("keripik", "kerupuk", "chips", "crackers", "crisps"),
    "cake": ("kue", "jajan", "jaje", "dodol", "cake", "cookies", "biscuits", "pastry"),
    "snack": ("camilan", "snack", "snacks"),
    "spice": ("bumbu", "sambal", "rempah", "spice", "spices", "chili", "sauce"),
}

ENGLISH_WORDS = frozenset(
    w
    for phrases in CONCEPT_PHRASES.values()
    for phrase in phrases
    for w in phrase.split()
    if w.isascii()
) | frozenset(
    [
        "sugar",
        "coconut",
        "palm",
        "paste",
        "shrimp",
        "sea",
        "salt",
        "honey",
        "coffee",
        "tea",
        "cloth",
        "bag",
        "cake",
        "chips",
        "woven",
        "ginger",
        "bean",
        "beans",
        "ground",
        "roasted",
        "spicy",
        "sweet",
        "gift",
        "box",
    ]
)


@functools.cache
def _concept_patterns() -> list[tuple[tuple[str, ...], str]]:
    """(token sequence, concept), longest sequences first."""
    patterns = {
        tuple(tokens(phrase)): concept
        for concept, phrases in CONCEPT_PHRASES.items()
        for phrase in phrases
    }
    return sorted(patterns.items(), key=lambda item: -len(item[0]))


def find_concepts(token_list: list[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, concept) spans, longest match first, left to right."""
    spans, i = [], 0
    patterns = _concept_patterns()
    while i < len(token_list):
        for seq, concept in patterns:
            if tuple(token_list[i : i + len(seq)]) == seq:
                spans.append((i, i + len(seq), concept))
                i += len(seq)
                break
        else:
            i += 1
    return spans


def concepts_of(text: str) -> set[str]:
    """Every concept a document mentions (overlaps allowed: a "tas anyaman" is both)."""
    token_list = tokens(text)
    found = set()
    for seq, concept in _concept_patterns():
        n = len(seq)
        if any(tuple(token_list[i : i + n]) == seq for i in range(len(token_list) - n + 1)):
            found.add(concept)
    return found
