"""Drawn product photos for the demo marketplace.

The demo must look like a real shop without shipping anybody's photographs in the repository,
so each product gets simple still-life pictures drawn with Pillow: the product (a bowl of gula
semut, a block of terasi, a woven bag, a length of tenun…) on a table, in a few variants. The
drawing is deterministic for a given ``seed`` so the same product always gets the same photos,
and the output is an ordinary JPEG that goes through the same upload pipeline as a seller's.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

Color = tuple[int, int, int]

BACKDROPS: tuple[tuple[Color, Color], ...] = (
    ((238, 228, 210), (176, 132, 92)),  # cream wall, teak table
    ((214, 228, 222), (150, 112, 80)),  # pale green wall, wood table
    ((242, 236, 226), (120, 96, 72)),  # white wall, dark wood
    ((226, 214, 236), (188, 160, 120)),  # lilac wall, bamboo mat
)


def _jitter(rng: random.Random, color: Color, amount: int = 18) -> Color:
    shade = rng.randint(-amount, amount)  # one shift for all channels: lighter or darker, same hue
    return tuple(max(0, min(255, c + shade + rng.randint(-3, 3))) for c in color)  # type: ignore[return-value]


def _scatter(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    box,
    color: Color,
    count: int,
    radius: tuple[int, int],
    amount: int = 25,
) -> None:
    """Granules, crystals, beans: many small jittered dots inside an ellipse-ish box."""
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    for _ in range(count):
        while True:
            dx, dy = rng.uniform(-1, 1), rng.uniform(-1, 1)
            if dx * dx + dy * dy <= 1:
                break
        r = rng.randint(*radius)
        x, y = cx + dx * rx, cy + dy * ry
        draw.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=_jitter(rng, color, amount))


def _bowl(draw, rng, s: int, fill: Color, grain: Color, count: int, radius) -> None:
    bowl = _jitter(rng, (96, 64, 40), 10)
    draw.ellipse((0.18 * s, 0.50 * s, 0.82 * s, 0.86 * s), fill=(0, 0, 0, 60))
    draw.chord((0.16 * s, 0.30 * s, 0.84 * s, 0.84 * s), 0, 180, fill=bowl)
    draw.ellipse((0.16 * s, 0.44 * s, 0.84 * s, 0.64 * s), fill=fill)
    _scatter(draw, rng, (0.18 * s, 0.40 * s, 0.82 * s, 0.62 * s), grain, count, radius)


def _gula(draw, rng, s):
    _bowl(draw, rng, s, (150, 96, 48), (168, 110, 58), 1400, (3, 7))


def _garam(draw, rng, s):
    _bowl(draw, rng, s, (232, 232, 228), (248, 248, 246), 1400, (3, 8))


def _kopi(draw, rng, s):
    _bowl(draw, rng, s, (70, 42, 26), (92, 56, 34), 260, (12, 20))
    _scatter(draw, rng, (0.05 * s, 0.78 * s, 0.45 * s, 0.95 * s), (84, 50, 30), 18, (12, 18))


def _terasi(draw, rng, s):
    leaf = _jitter(rng, (70, 120, 60), 12)
    draw.polygon(
        [(0.12 * s, 0.72 * s), (0.50 * s, 0.42 * s), (0.90 * s, 0.70 * s), (0.50 * s, 0.90 * s)],
        fill=leaf,
    )
    for i in range(3):
        x = 0.22 * s + i * 0.2 * s
        block = _jitter(rng, (92, 60, 52), 10)
        draw.rounded_rectangle(
            (x, 0.52 * s, x + 0.17 * s, 0.74 * s), radius=int(0.02 * s), fill=block
        )
        _scatter(draw, rng, (x, 0.52 * s, x + 0.17 * s, 0.74 * s), (110, 74, 64), 90, (2, 4))


def _madu(draw, rng, s):
    draw.rounded_rectangle(
        (0.32 * s, 0.30 * s, 0.68 * s, 0.84 * s),
        radius=int(0.05 * s),
        fill=_jitter(rng, (214, 140, 30), 10),
    )
    draw.rectangle((0.36 * s, 0.22 * s, 0.64 * s, 0.32 * s), fill=(180, 150, 110))
    draw.rectangle((0.36 * s, 0.50 * s, 0.64 * s, 0.66 * s), fill=(246, 238, 220))
    draw.line((0.40 * s, 0.56 * s, 0.60 * s, 0.56 * s), fill=(120, 80, 30), width=max(2, s // 120))
    draw.ellipse((0.38 * s, 0.34 * s, 0.44 * s, 0.46 * s), fill=(240, 190, 90))


def _woven(draw, rng, box, a: Color, b: Color, cell: int) -> None:
    x0, y0, x1, y1 = (int(v) for v in box)
    for y in range(y0, y1, cell):
        for x in range(x0, x1, cell):
            odd = ((x - x0) // cell + (y - y0) // cell) % 2
            draw.rectangle(
                (x, y, min(x + cell - 2, x1), min(y + cell - 2, y1)),
                fill=_jitter(rng, a if odd else b, 8),
            )


def _tas(draw, rng, s):
    body = (0.20 * s, 0.40 * s, 0.80 * s, 0.86 * s)
    handle = _jitter(rng, (120, 80, 40), 10)
    draw.arc((0.32 * s, 0.18 * s, 0.68 * s, 0.62 * s), 180, 360, fill=handle, width=int(0.03 * s))
    _woven(
        draw,
        rng,
        body,
        _jitter(rng, (196, 160, 100)),
        _jitter(rng, (150, 110, 60)),
        max(8, s // 40),
    )
    draw.rectangle((0.20 * s, 0.52 * s, 0.80 * s, 0.57 * s), fill=_jitter(rng, (170, 40, 50), 20))


def _tenun(draw, rng, s):
    palette = [
        _jitter(rng, c, 25)
        for c in ((150, 30, 40), (30, 40, 90), (220, 170, 50), (20, 20, 20), (240, 230, 210))
    ]
    y = int(0.26 * s)
    while y < 0.84 * s:
        height = rng.randint(s // 60, s // 18)
        color = rng.choice(palette)
        draw.rectangle((0.10 * s, y, 0.90 * s, y + height), fill=color)
        if height > s // 30:  # a row of diamonds, the ikat motif
            step = height * 2
            for x in range(int(0.10 * s), int(0.90 * s) - step, step):
                draw.polygon(
                    [
                        (x + step / 2, y),
                        (x + step, y + height / 2),
                        (x + step / 2, y + height),
                        (x, y + height / 2),
                    ],
                    fill=rng.choice(palette),
                )
        y += height


def _teh(draw, rng, s):
    draw.ellipse((0.20 * s, 0.66 * s, 0.80 * s, 0.86 * s), fill=(236, 236, 232))
    draw.chord((0.30 * s, 0.36 * s, 0.70 * s, 0.84 * s), 0, 180, fill=(244, 244, 240))
    draw.ellipse((0.30 * s, 0.54 * s, 0.70 * s, 0.66 * s), fill=_jitter(rng, (170, 110, 40), 20))
    draw.arc(
        (0.64 * s, 0.58 * s, 0.80 * s, 0.74 * s), 270, 90, fill=(236, 236, 232), width=int(0.02 * s)
    )
    for _ in range(7):
        x, y = rng.uniform(0.05, 0.25) * s, rng.uniform(0.7, 0.9) * s
        draw.ellipse((x, y, x + 0.08 * s, y + 0.04 * s), fill=_jitter(rng, (80, 130, 60), 20))


def _keripik(draw, rng, s):
    _bowl(draw, rng, s, (222, 190, 120), (230, 196, 120), 0, (1, 1))
    for _ in range(45):
        x, y = rng.uniform(0.22, 0.72) * s, rng.uniform(0.34, 0.56) * s
        w, h = rng.uniform(0.06, 0.11) * s, rng.uniform(0.04, 0.07) * s
        draw.ellipse(
            (x, y, x + w, y + h),
            fill=_jitter(rng, (226, 180, 90), 22),
            outline=_jitter(rng, (180, 120, 50), 10),
        )


def _kue(draw, rng, s):
    draw.ellipse((0.12 * s, 0.56 * s, 0.88 * s, 0.90 * s), fill=(240, 240, 236))
    colors = ((60, 150, 80), (230, 120, 150), (240, 220, 180), (120, 70, 40))
    for row in range(2):
        for col in range(3):
            x, y = 0.24 * s + col * 0.18 * s, 0.58 * s + row * 0.11 * s
            draw.rounded_rectangle(
                (x, y, x + 0.15 * s, y + 0.09 * s),
                radius=int(0.015 * s),
                fill=_jitter(rng, rng.choice(colors), 15),
            )


PHOTO_KINDS: dict[str, Callable[[ImageDraw.ImageDraw, random.Random, int], None]] = {
    "gula": _gula,
    "garam": _garam,
    "kopi": _kopi,
    "terasi": _terasi,
    "madu": _madu,
    "tas": _tas,
    "tenun": _tenun,
    "teh": _teh,
    "keripik": _keripik,
    "kue": _kue,
}


def draw_product_photo(kind: str, variant: int = 0, *, size: int = 1000, seed: str = "") -> bytes:
    """A square JPEG of ``kind`` (a key of ``PHOTO_KINDS``); variants differ in setting."""
    if kind not in PHOTO_KINDS:
        raise ValueError(f"unknown photo kind {kind!r}; known: {', '.join(PHOTO_KINDS)}")
    rng = random.Random(f"{kind}:{variant}:{seed}")  # noqa: S311 - pictures, not secrets
    wall, table = BACKDROPS[variant % len(BACKDROPS)]
    image = Image.new("RGB", (size, size), wall)
    draw = ImageDraw.Draw(image, "RGBA")
    horizon = int(size * (0.55 + 0.05 * (variant % 2)))
    draw.rectangle((0, horizon, size, size), fill=_jitter(rng, table, 8))
    for y in range(horizon, size, max(4, size // 60)):  # wood grain
        draw.line(
            (0, y, size, y + rng.randint(-6, 6)), fill=(*_jitter(rng, table, 25), 90), width=2
        )
    PHOTO_KINDS[kind](draw, rng, size)
    image = image.filter(ImageFilter.GaussianBlur(radius=max(0.6, size / 1400)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
