"""Courier shipping estimates for checkout, kept as data.

The figures in ``orders/data/shipping_rates.json`` are *estimates* in whole rupiah, not courier
quotes: a province belongs to a zone, two zones are a relation apart (same province, same zone,
near, far), and each service prices the first and every further kilo per relation. Keeping them
as data lets an operator correct a tariff without a code change.

Checkout only ever talks to a ``RateProvider``. ``TableRates`` is the default one; a live courier
API (RajaOngkir, Biteship, a courier's own) can replace it behind the same interface by putting
another provider in ``app.extensions["shipping_rates"]``, and tests can put a fake there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from flask import current_app, has_app_context

DATA_FILE = Path(__file__).parent / "data" / "shipping_rates.json"
RELATIONS = ("same_province", "same_zone", "near", "far")
GRAMS_PER_KILO = 1000


@dataclass(frozen=True)
class ShippingOption:
    service: str  # stable code stored on the order, e.g. "jne_reg"
    label: str  # what the buyer reads, e.g. "JNE REG"
    cost: int  # whole rupiah (DESIGN §4.7: money is never a float)
    etd_days: tuple[int, int]  # (min, max) working days, as the couriers advertise them


class RateProvider(Protocol):
    def options(
        self, origin_province: str, destination_province: str, weight_grams: int
    ) -> list[ShippingOption]: ...


def billable_kilos(weight_grams: int) -> int:
    """Couriers bill every started kilo, and a parcel never weighs less than one."""
    if weight_grams < 0:
        raise ValueError(f"a parcel cannot weigh {weight_grams} g")
    return max(1, -(-weight_grams // GRAMS_PER_KILO))


def find_option(options: Iterable[ShippingOption], service: str) -> ShippingOption | None:
    """The option the buyer chose, looked up again so a posted form can't set its own price."""
    return next((option for option in options if option.service == service), None)


@dataclass(frozen=True)
class _Rate:
    first_kilo: int
    next_kilo: int
    etd_days: tuple[int, int]


@dataclass(frozen=True)
class _Service:
    code: str
    label: str
    zones_not_served: frozenset[str]
    rates: dict[str, _Rate]


class TableRates:
    """Estimates from the JSON table, read and checked once when the provider is made.

    A malformed table raises ``ValueError`` here, at start-up, rather than quoting a wrong
    price to a buyer later.
    """

    def __init__(self, path: str | Path = DATA_FILE) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self._zone_of = _province_zones(data["zones"])
        zones = set(data["zones"])
        self._distance = _zone_distance(data["zone_distance"], zones)
        self._services = [_service(entry, zones) for entry in data["services"]]

    def zone_of(self, province: str) -> str | None:
        return self._zone_of.get(province)

    def relation(self, origin_province: str, destination_province: str) -> str | None:
        """How far apart two provinces are, as one of ``RELATIONS``; None if either is unknown."""
        origin = self.zone_of(origin_province)
        destination = self.zone_of(destination_province)
        if origin is None or destination is None:
            return None
        if origin_province == destination_province:
            return "same_province"
        return self._distance[origin][destination]

    def options(
        self, origin_province: str, destination_province: str, weight_grams: int
    ) -> list[ShippingOption]:
        relation = self.relation(origin_province, destination_province)
        if relation is None:
            return []
        zones = {self._zone_of[origin_province], self._zone_of[destination_province]}
        kilos = billable_kilos(weight_grams)
        found = []
        for service in self._services:
            rate = service.rates.get(relation)
            if rate is None or zones & service.zones_not_served:
                continue
            cost = rate.first_kilo + (kilos - 1) * rate.next_kilo
            found.append(ShippingOption(service.code, service.label, cost, rate.etd_days))
        return sorted(found, key=lambda o: (o.cost, o.etd_days, o.service))


def rates() -> RateProvider:
    """The app's provider if one is installed (a live API, a test fake), else the table."""
    if has_app_context():
        provider = current_app.extensions.get("shipping_rates")
        if provider is not None:
            return provider
    return _default_table()


@lru_cache(maxsize=1)
def _default_table() -> TableRates:
    return TableRates()


def _province_zones(zones: dict[str, list[str]]) -> dict[str, str]:
    zone_of: dict[str, str] = {}
    for zone, provinces in zones.items():
        for province in provinces:
            if province in zone_of:
                raise ValueError(f"province {province} is in zones {zone_of[province]} and {zone}")
            zone_of[province] = zone
    return zone_of


def _zone_distance(table: dict[str, dict[str, str]], zones: set[str]) -> dict[str, dict[str, str]]:
    """Every pair of zones must be priced, and in both directions alike."""
    for origin in zones:
        row = table.get(origin, {})
        if set(row) != zones:
            raise ValueError(f"zone_distance for {origin} must list exactly the zones {zones}")
        for destination, relation in row.items():
            if relation not in RELATIONS[1:]:
                raise ValueError(f"unknown relation {relation!r} for {origin} → {destination}")
            if table[destination][origin] != relation:
                raise ValueError(f"zone_distance is not symmetric for {origin} ↔ {destination}")
    return table


def _service(entry: dict, zones: set[str]) -> _Service:
    rates = {}
    for relation, rate in entry["rates"].items():
        if relation not in RELATIONS:
            raise ValueError(f"{entry['service']}: unknown relation {relation!r}")
        first, following = rate["first_kilo"], rate["next_kilo"]
        low, high = rate["etd_days"]
        if not all(type(n) is int and n > 0 for n in (first, following, low, high)) or low > high:
            raise ValueError(f"{entry['service']}: {relation} needs positive whole numbers")
        rates[relation] = _Rate(first, following, (low, high))
    not_served = frozenset(entry.get("zones_not_served", []))
    if not_served - zones:
        raise ValueError(f"{entry['service']}: unknown zones {sorted(not_served - zones)}")
    return _Service(entry["service"], entry["label"], not_served, rates)
