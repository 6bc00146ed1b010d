"""One reading of phone numbers: E.164 storage, display, and wa.me links."""

from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace import phones


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812 3456 7890",
        "0812-3456-7890",
        "+62 812-3456-7890",
        "6281234567890",
        "81234567890",
        "812 3456 7890",
        "0062 812 3456 7890",
        "(0812) 3456.7890",
    ],
)
def test_indonesian_ways_of_writing_a_number_give_one_e164(raw):
    assert phones.to_e164(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw",
    [None, "", "-", "12345", "0812abc", "0812 3456 7890 1234 5678", "++6281234567890"],
)
def test_invalid_numbers_give_none(raw):
    assert phones.to_e164(raw) is None


@pytest.mark.parametrize("raw", ["٠٨١٢٣٤٥٦٧٨٩٠", "０８１２３４５６７８９０", "0812٣4567890"])
def test_non_ascii_digits_are_refused(raw):
    assert phones.to_e164(raw) is None


def test_display_is_international():
    assert phones.display("+6281234567890") == "+62 812-3456-7890"


def test_link_without_text_has_no_query():
    assert phones.whatsapp_link("0812 3456 7890") == "https://wa.me/6281234567890"


def test_link_text_is_fully_url_encoded():
    text = "Halo, apakah Gula Semut 250 g & Terasi #2 masih ada?"
    link = phones.whatsapp_link("+62 812-3456-7890", text)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    assert " " not in parts.query and "&" not in parts.query.removeprefix("text=")
    assert parse_qs(parts.query) == {"text": [text]}


@pytest.mark.parametrize("raw", ["", "-", "12345", "٠٨١٢٣٤٥٦٧٨٩٠"])
def test_link_to_an_invalid_number_raises(raw):
    with pytest.raises(ValueError):
        phones.whatsapp_link(raw, "Halo")
