"""Children's drawings, drawn procedurally: `drawing(seed)` is the same picture for a seed.

Every drawing shares one crayon palette and one style (sky, grass, a sun, a house, trees,
flowers, clouds, people, birds, on paper), the way a class's drawings do; what differs per seed
is the scene: where the horizon lies, which things are drawn, where, how big and in which
colours. The demo year's contest (`events.demo.contest`) draws its entries with it, and the
tests of the perceptual hash use it (hundreds of distinct drawings must not match) through
`tests/contests/drawings.py`, which re-exports this module.
"""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

PAPER = (250, 247, 238)
OUTLINE = (40, 36, 36)
PALETTE = {
    "sky": [(135, 196, 240), (110, 170, 230), (170, 215, 245), (95, 150, 220)],
    "grass": [(92, 170, 72), (60, 140, 60), (130, 190, 80), (70, 160, 100)],
    "sun": [(255, 205, 40), (255, 170, 30), (250, 225, 70)],
    "wall": [(230, 80, 70), (240, 180, 70), (200, 120, 200), (120, 160, 230), (250, 150, 160)],
    "roof": [(170, 60, 40), (120, 70, 160), (60, 90, 170), (200, 90, 40)],
    "trunk": [(130, 80, 40), (110, 70, 40)],
    "leaves": [(50, 150, 60), (80, 180, 70), (30, 120, 80)],
    "flower": [(240, 60, 80), (250, 200, 40), (190, 80, 220), (250, 130, 40), (80, 120, 240)],
    "shirt": [(240, 60, 80), (60, 120, 230), (250, 190, 40), (60, 180, 120), (200, 90, 200)],
}


def drawing(seed: int, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """An RGB picture of a child's drawing, different for every seed."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(image)
    pen = max(2, round(min(size) / 160))  # a thick crayon outline
    horizon = round(height * rng.uniform(0.45, 0.78))

    _sky(draw, rng, width, horizon, pen)
    _grass(draw, rng, width, height, horizon, pen)
    if rng.random() < 0.85:
        _sun(draw, rng, width, horizon, pen)
    for _ in range(rng.randint(0, 4)):
        _cloud(draw, rng, width, horizon, pen)
    things = rng.sample(["house", "house", "tree", "tree", "tree", "person", "person"], 4)
    slots = sorted(rng.sample(range(8), len(things)))
    for thing, slot in zip(things, slots, strict=True):
        x = round((slot + rng.uniform(0.2, 0.8)) * width / 8)
        ground = horizon + round(rng.uniform(0.02, 0.18) * (height - horizon))
        scale = rng.uniform(0.7, 1.4) * height / 1200
        {"house": _house, "tree": _tree, "person": _person}[thing](draw, rng, x, ground, scale, pen)
    for _ in range(rng.randint(2, 12)):
        _flower(draw, rng, width, height, horizon, pen)
    for _ in range(rng.randint(0, 5)):
        _bird(draw, rng, width, horizon, pen)
    _scribbles(draw, rng, width, height, pen)
    return image


def _wobbly(rng: random.Random, points: list[tuple[float, float]], amount: float) -> list:
    """A hand-drawn line: every point a little off."""
    return [(x + rng.uniform(-amount, amount), y + rng.uniform(-amount, amount)) for x, y in points]


def _blob(rng, cx, cy, rx, ry, steps=24, wobble=0.08) -> list[tuple[float, float]]:
    return [
        (
            cx + rx * math.cos(2 * math.pi * i / steps) * rng.uniform(1 - wobble, 1 + wobble),
            cy + ry * math.sin(2 * math.pi * i / steps) * rng.uniform(1 - wobble, 1 + wobble),
        )
        for i in range(steps)
    ]


def _sky(draw, rng, width, horizon, pen) -> None:
    colour = rng.choice(PALETTE["sky"])
    if rng.random() < 0.3:  # some children leave the sky white but for a strip at the top
        strip = round(horizon * rng.uniform(0.12, 0.3))
        draw.rectangle((0, 0, width, strip), fill=colour)
        return
    # Crayon strokes rather than a flat fill: horizontal bands with gaps of paper.
    band = max(6, pen * 3)
    for y in range(0, horizon, band):
        if rng.random() < 0.12:
            continue
        x0, x1 = rng.uniform(-20, width * 0.1), rng.uniform(width * 0.9, width + 20)
        draw.line(_wobbly(rng, [(x0, y), (x1, y + rng.uniform(-4, 4))], 2), colour, band - 1)


def _grass(draw, rng, width, height, horizon, pen) -> None:
    colour = rng.choice(PALETTE["grass"])
    waves = rng.randint(2, 6)
    phase = rng.uniform(0, 2 * math.pi)
    amplitude = rng.uniform(5, 40)
    top = [
        (x, horizon + amplitude * math.sin(phase + waves * math.pi * x / width))
        for x in range(0, width + 40, 40)
    ]
    draw.polygon([*top, (width, height), (0, height)], fill=colour)
    draw.line(top, OUTLINE, pen)
    for _ in range(rng.randint(10, 40)):  # blades
        x = rng.uniform(0, width)
        y = rng.uniform(horizon + 20, height)
        draw.line([(x, y), (x + rng.uniform(-8, 8), y - rng.uniform(10, 30))], OUTLINE, pen // 2)


def _sun(draw, rng, width, horizon, pen) -> None:
    radius = rng.uniform(0.05, 0.11) * width
    cx = rng.choice([rng.uniform(radius, width * 0.3), rng.uniform(width * 0.7, width - radius)])
    cy = rng.uniform(radius * 0.6, max(radius, horizon * 0.4))
    colour = rng.choice(PALETTE["sun"])
    for i in range(rng.randint(7, 14)):  # rays
        angle = 2 * math.pi * i / 12 + rng.uniform(-0.1, 0.1)
        inner, outer = radius * 1.2, radius * rng.uniform(1.6, 2.1)
        draw.line(
            [
                (cx + inner * math.cos(angle), cy + inner * math.sin(angle)),
                (cx + outer * math.cos(angle), cy + outer * math.sin(angle)),
            ],
            colour,
            pen * 2,
        )
    draw.polygon(_blob(rng, cx, cy, radius, radius), fill=colour, outline=OUTLINE, width=pen)
    if rng.random() < 0.5:  # a smiling sun
        for eye in (-1, 1):
            ex, ey = cx + eye * radius * 0.35, cy - radius * 0.3
            draw.ellipse((ex - pen, ey - pen, ex + pen, ey + pen), fill=OUTLINE)
        box = (cx - radius * 0.5, cy - radius * 0.4, cx + radius * 0.5, cy + radius * 0.5)
        draw.arc(box, 30, 150, OUTLINE, pen)


def _cloud(draw, rng, width, horizon, pen) -> None:
    cx, cy = rng.uniform(0, width), rng.uniform(horizon * 0.1, horizon * 0.55)
    size = rng.uniform(0.04, 0.08) * width
    for dx in (-size, 0, size):
        puff = _blob(rng, cx + dx, cy + rng.uniform(-size / 4, size / 4), size * 0.8, size * 0.6)
        draw.polygon(puff, fill=(255, 255, 255), outline=OUTLINE, width=max(1, pen // 2))


def _house(draw, rng, x, ground, scale, pen) -> None:
    w, h = 260 * scale * rng.uniform(0.8, 1.3), 200 * scale * rng.uniform(0.8, 1.3)
    left, top = x - w / 2, ground - h
    wall = _wobbly(rng, [(left, top), (left + w, top), (left + w, ground), (left, ground)], 4)
    draw.polygon(wall, fill=rng.choice(PALETTE["wall"]), outline=OUTLINE, width=pen)
    roof = _wobbly(
        rng, [(left - 20 * scale, top), (x, top - h * 0.7), (left + w + 20 * scale, top)], 4
    )
    draw.polygon(roof, fill=rng.choice(PALETTE["roof"]), outline=OUTLINE, width=pen)
    door_w = w * 0.22
    door_x = left + w * rng.uniform(0.15, 0.6)
    draw.rectangle(
        (door_x, ground - h * 0.5, door_x + door_w, ground),
        fill=(120, 70, 40),
        outline=OUTLINE,
        width=pen,
    )
    for _ in range(rng.randint(1, 2)):
        wx = left + w * rng.uniform(0.1, 0.7)
        wy = top + h * rng.uniform(0.12, 0.3)
        side = w * 0.2
        draw.rectangle(
            (wx, wy, wx + side, wy + side), fill=(250, 240, 150), outline=OUTLINE, width=pen
        )
        draw.line([(wx + side / 2, wy), (wx + side / 2, wy + side)], OUTLINE, max(1, pen // 2))
        draw.line([(wx, wy + side / 2), (wx + side, wy + side / 2)], OUTLINE, max(1, pen // 2))


def _tree(draw, rng, x, ground, scale, pen) -> None:
    trunk_h, trunk_w = 180 * scale * rng.uniform(0.7, 1.4), 40 * scale
    draw.rectangle(
        (x - trunk_w / 2, ground - trunk_h, x + trunk_w / 2, ground),
        fill=rng.choice(PALETTE["trunk"]),
        outline=OUTLINE,
        width=pen,
    )
    crown = 110 * scale * rng.uniform(0.8, 1.4)
    leaves = rng.choice(PALETTE["leaves"])
    draw.polygon(
        _blob(
            rng, x, ground - trunk_h - crown * 0.6, crown, crown * rng.uniform(0.8, 1.2), 30, 0.15
        ),
        fill=leaves,
        outline=OUTLINE,
        width=pen,
    )
    for _ in range(rng.randint(0, 6)):  # apples
        ax = x + rng.uniform(-0.6, 0.6) * crown
        ay = ground - trunk_h - crown * 0.6 + rng.uniform(-0.5, 0.5) * crown
        draw.ellipse(
            (ax - 10 * scale, ay - 10 * scale, ax + 10 * scale, ay + 10 * scale),
            fill=(230, 40, 40),
            outline=OUTLINE,
        )


def _person(draw, rng, x, ground, scale, pen) -> None:
    head = 34 * scale
    body = 110 * scale * rng.uniform(0.8, 1.2)
    hip = ground - 80 * scale
    neck = hip - body
    shirt = _wobbly(
        rng,
        [
            (x - 35 * scale, neck),
            (x + 35 * scale, neck),
            (x + 50 * scale, hip),
            (x - 50 * scale, hip),
        ],
        3,
    )
    draw.polygon(shirt, fill=rng.choice(PALETTE["shirt"]), outline=OUTLINE, width=pen)
    draw.ellipse(
        (x - head, neck - 2 * head, x + head, neck),
        fill=(250, 215, 180),
        outline=OUTLINE,
        width=pen,
    )
    for side in (-1, 1):
        draw.line([(x + side * 15 * scale, hip), (x + side * 30 * scale, ground)], OUTLINE, pen)
        hand = (x + side * rng.uniform(70, 100) * scale, neck + rng.uniform(-40, 60) * scale)
        draw.line([(x + side * 35 * scale, neck + 10 * scale), hand], OUTLINE, pen)
    draw.arc(
        (x - head / 2, neck - head * 1.2, x + head / 2, neck - head * 0.4),
        20,
        160,
        OUTLINE,
        max(1, pen // 2),
    )


def _flower(draw, rng, width, height, horizon, pen) -> None:
    x, y = rng.uniform(0, width), rng.uniform(horizon + 30, height - 20)
    r = rng.uniform(8, 22) * height / 1200
    draw.line([(x, y), (x, y + r * 3)], (40, 120, 40), max(1, pen // 2))
    colour = rng.choice(PALETTE["flower"])
    for i in range(5):
        angle = 2 * math.pi * i / 5
        px, py = x + r * math.cos(angle), y + r * math.sin(angle)
        draw.ellipse((px - r * 0.7, py - r * 0.7, px + r * 0.7, py + r * 0.7), fill=colour)
    draw.ellipse((x - r * 0.5, y - r * 0.5, x + r * 0.5, y + r * 0.5), fill=(250, 220, 50))


def _bird(draw, rng, width, horizon, pen) -> None:
    x, y = rng.uniform(0, width), rng.uniform(horizon * 0.05, horizon * 0.6)
    s = rng.uniform(12, 30)
    draw.line([(x - s, y - s / 2), (x, y), (x + s, y - s / 2)], OUTLINE, max(1, pen // 2))


def _scribbles(draw, rng, width, height, pen) -> None:
    """A few stray crayon marks, as on any child's sheet."""
    for _ in range(rng.randint(0, 4)):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        points = [(x, y)]
        for _ in range(rng.randint(3, 8)):
            x, y = x + rng.uniform(-60, 60), y + rng.uniform(-30, 30)
            points.append((x, y))
        draw.line(points, rng.choice(PALETTE["flower"]), max(1, pen // 2))
