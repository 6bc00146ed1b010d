"""Shipping estimates: the rounding couriers use, the table's coverage of Indonesia, and the
properties checkout relies on (integer rupiah, heavier costs more, nearer costs less)."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from flask import Flask

from marketplace import regions
from orders import shipping
from orders.shipping import (
    DATA_FILE,
    RELATIONS,
    ShippingOption,
    TableRates,
    billable_kilos,
    find_option,
)

NTB = "52"  # Nusa Tenggara Barat (Lombok), where many sellers are
JAWA_TIMUR = "35"
PAPUA = "91"


@pytest.fixture(scope="module")
def table() -> TableRates:
    return TableRates()


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _price(data: dict, service: str, relation: str) -> dict:
    entry = next(s for s in data["services"] if s["service"] == service)
    return entry["rates"][relation]


@pytest.mark.parametrize(
    ("grams", "kilos"),
    [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (2000, 2), (2001, 3), (12_345, 13)],
)
def test_billable_kilos_rounds_up_to_the_started_kilo(grams, kilos):
    assert billable_kilos(grams) == kilos


def test_negative_weight_is_a_bug_not_a_free_parcel():
    with pytest.raises(ValueError):
        billable_kilos(-1)


def test_every_province_has_a_zone(table):
    provinces = regions.children(None)
    assert len(provinces) == 38
    missing = [f"{p.code} {p.name}" for p in provinces if table.zone_of(p.code) is None]
    assert missing == []


def test_table_names_no_province_that_does_not_exist(data):
    known = {p.code for p in regions.children(None)}
    listed = [code for codes in data["zones"].values() for code in codes]
    assert sorted(listed) == sorted(known)  # also catches a province listed twice


def test_every_province_pair_gets_priced_options_in_whole_rupiah(table):
    codes = [p.code for p in regions.children(None)]
    for origin in codes:
        for destination in codes:
            options = table.options(origin, destination, 1500)
            assert options, (origin, destination)
            for option in options:
                assert type(option.cost) is int and option.cost > 0
                low, high = option.etd_days
                assert type(low) is int and type(high) is int and 0 < low <= high


def test_cost_is_first_kilo_plus_next_kilos_and_grows_with_weight(table, data):
    relation = table.relation(NTB, JAWA_TIMUR)
    light = table.options(NTB, JAWA_TIMUR, 800)
    heavy = table.options(NTB, JAWA_TIMUR, 2100)  # three billable kilos
    assert {o.service for o in light} == {o.service for o in heavy}
    for option in heavy:
        price = _price(data, option.service, relation)
        assert option.cost == price["first_kilo"] + 2 * price["next_kilo"]
        assert option.cost > find_option(light, option.service).cost


def test_same_province_is_cheaper_than_a_far_zone(table):
    assert table.relation(NTB, PAPUA) == "far"
    near_home = table.options(NTB, NTB, 1000)
    far_away = table.options(NTB, PAPUA, 1000)
    shared = {o.service for o in near_home} & {o.service for o in far_away}
    assert shared
    for service in shared:
        assert find_option(near_home, service).cost < find_option(far_away, service).cost


def test_each_service_costs_more_the_further_the_relation(data):
    for service in data["services"]:
        firsts = [service["rates"][r]["first_kilo"] for r in RELATIONS if r in service["rates"]]
        assert all(a < b for a, b in pairwise(firsts)), service["service"]


def test_options_are_sorted_by_cost(table):
    options = table.options("32", "64", 4200)
    assert len(options) > 1
    assert [o.cost for o in options] == sorted(o.cost for o in options)


def test_express_is_faster_and_pos_slower_than_regular(table):
    options = table.options("31", "35", 1000)
    reg, yes, pos = (find_option(options, s) for s in ("jne_reg", "jne_yes", "pos_kilat"))
    assert yes.etd_days[1] <= reg.etd_days[0] and yes.cost > reg.cost
    assert pos.etd_days[1] >= reg.etd_days[1] and pos.cost < reg.cost


def test_a_zone_a_service_does_not_serve_leaves_it_out(table, data):
    for service in data["services"]:
        for zone in service["zones_not_served"]:
            province = data["zones"][zone][0]
            assert find_option(table.options("32", province, 1000), service["service"]) is None
            assert find_option(table.options(province, "32", 1000), service["service"]) is None
    assert find_option(table.options("32", PAPUA, 1000), "jne_reg") is not None


def test_zone_distance_is_the_same_both_ways(data):
    distance = data["zone_distance"]
    for origin, row in distance.items():
        for destination, relation in row.items():
            assert distance[destination][origin] == relation, (origin, destination)


@pytest.mark.parametrize(
    ("origin", "destination"), [("99", "52"), ("52", "99"), ("", "52"), ("52.03", "52")]
)
def test_unknown_province_gets_no_options(table, origin, destination):
    assert table.options(origin, destination, 1000) == []


def test_find_option_by_service_code(table):
    options = table.options("52", "51", 1000)
    found = find_option(options, "jnt_ez")
    assert found is not None and found.service == "jnt_ez" and found.label == "J&T EZ"
    assert find_option(options, "gojek_instant") is None
    assert find_option([], "jne_reg") is None


def test_a_broken_table_is_refused_when_loaded(tmp_path, data):
    broken = json.loads(json.dumps(data))
    broken["zone_distance"]["jawa"]["sumatera"] = "far"  # no longer symmetric
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match="symmetric"):
        TableRates(path)


class _FlatRate:
    def options(self, origin_province, destination_province, weight_grams):
        return [ShippingOption("flat", "Flat", 5000 * billable_kilos(weight_grams), (1, 1))]


def test_rates_uses_the_provider_the_app_installed():
    app = Flask(__name__)
    with app.app_context():
        assert isinstance(shipping.rates(), TableRates)
        app.extensions["shipping_rates"] = _FlatRate()
        assert shipping.rates().options("52", "91", 2500)[0].cost == 15000


def test_rates_outside_an_app_is_the_shared_table():
    assert shipping.rates() is shipping.rates()
    assert isinstance(shipping.rates(), TableRates)
