"""Archive conditions: what decades in a folder and careless digitisation do to a document.

WHY: the archive's real pages are not clean scans of printed plans. Copies carry the receiving office's
"ĐẾN" stamp in the header area with a handwritten number, date and routing, short handwritten notes in a
margin; older plans were typed; the paper is yellow, folded and spotted; pages went through the feeder
sideways or upside down inside multi-page PDFs; the scanner was set to 200 dpi grey, or the page is a
photocopy of a photocopy stored black-and-white. Each of these is a switch of ``Conditions``;
``make_document`` applies them and records in ``meta`` exactly what it did (to store beside the file).
Stamps and handwriting are graphics: the truth text never contains them, and only the typewriter
changes it (the same words, wrapped at another width).

Conditions are applied in the order of a document's life: typed (or printed), stamped and annotated on
arrival, aged in the folder, then digitised (``degrade``), and last turned as it lay in the feeder.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field

import numpy as np
from PIL import Image

from devtools.synth.degrade import LEVELS as SCAN_LEVELS
from devtools.synth.degrade import MAX_SKEW, degrade
from devtools.synth.layout import MARGIN_LEFT, PAGE_H, PAGE_W, PageLayout
from devtools.synth.marks import INKS, STAMP_INKS, received_stamp, write_hand
from devtools.synth.paper import age_paper
from devtools.synth.render import RenderedPage, render_pages
from devtools.synth.source import DocumentSource
from devtools.synth.typewriter import typewriter_source

LEVELS = ("clean", "scan", "photocopy", "archive", "copy2")
"""Benchmark levels: the three plain ones, ``archive`` (a mix of archive conditions) and ``copy2``."""
TURNS = (90, 180, 270)
# Receiving offices of our invented documents (stamp text: never part of the truth).
OFFICES = (
    ("VĂN PHÒNG UBND TỈNH",),
    ("BAN THI ĐUA - KHEN THƯỞNG",),
    ("SỞ NỘI VỤ", "BỘ PHẬN VĂN THƯ"),
    ("UBND HUYỆN", "VĂN PHÒNG HĐND VÀ UBND"),
    ("TRƯỜNG THPT SỐ 2",),
)
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Conditions:
    """Switches of one synthetic archive document (all off: a plain flatbed scan, as before).

    ``scan``: how it was digitised (``clean``, ``scan``, ``photocopy`` or ``copy2``, a photocopy of a
    photocopy stored 1-bit); ``dpi``; ``grey``: an 8-bit grey scan instead of colour; ``skew``: degrees
    counter-clockwise (|skew| <= 3), ``None`` for the scan's own small random skew; ``turns``: pages
    (numbered from 1) fed turned, with the clockwise angle their text shows (90, 180, 270);
    ``stamp``: the "ĐẾN" received stamp on page 1; ``handwriting``: pages with 2-3 handwritten lines in
    a margin or blank space; ``typewriter``: typed in Liberation Mono; ``aged``: yellowed, creased and
    spotted paper."""

    scan: str = "scan"
    dpi: int = 300
    grey: bool = False
    skew: float | None = None
    turns: tuple[tuple[int, int], ...] = ()
    stamp: bool = False
    handwriting: tuple[int, ...] = ()
    typewriter: bool = False
    aged: bool = False

    def __post_init__(self) -> None:
        if self.scan not in SCAN_LEVELS:
            raise ValueError(f"unknown scan {self.scan!r}; expected one of {SCAN_LEVELS}")
        if self.skew is not None and abs(self.skew) > MAX_SKEW:
            raise ValueError(f"skew {self.skew} is beyond ±{MAX_SKEW}°")
        if any(angle not in TURNS for _, angle in self.turns):
            raise ValueError(f"page turns must be one of {TURNS}: {self.turns}")

    def as_dict(self) -> dict:
        """JSON-ready record of the switches."""
        out = asdict(self)
        out["turns"] = {str(page): angle for page, angle in self.turns}
        out["handwriting"] = list(self.handwriting)
        return out

    def summary(self) -> str:
        """Short human-readable list of the switches that are on (``-`` for none)."""
        parts = [f"turned p{page} {angle}°" for page, angle in self.turns]
        parts += ["ĐẾN stamp p1"] if self.stamp else []
        parts += [f"handwriting p{', p'.join(map(str, self.handwriting))}"] if self.handwriting else []
        parts += ["typewriter"] if self.typewriter else []
        parts += ["aged paper"] if self.aged else []
        parts += ["grey"] if self.grey else []
        parts += [f"skew {self.skew:g}°"] if self.skew is not None else []
        parts += ["copy of a copy, 1-bit"] if self.scan == "copy2" else []
        return ", ".join(parts) or "-"

    @property
    def face(self) -> str:
        return "mono" if self.typewriter else "serif"


@dataclass
class SyntheticDocument:
    """Page images as they come out of the scanner, the truth of each page, and what was done."""

    pages: list[Image.Image]
    truths: list[str]
    meta: dict = field(default_factory=dict)

    @property
    def truth(self) -> str:
        return "\n".join(self.truths)


def level_conditions(level: str, variant: int = 0, pages: int = 1) -> Conditions:
    """The conditions of a benchmark level for the ``variant``-th document of ``pages`` pages.

    ``archive`` mixes: 200-dpi grey scan, skew up to 3°, the received stamp, handwriting on page 1 and
    on some others, typewritten (odd variants) or printed, aged paper on most, and about half of the pages
    turned by 90, 180 or 270°. ``copy2`` is a photocopy of a photocopy, 1-bit, and nothing else."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    if level == "copy2":
        return Conditions(scan="copy2")
    if level != "archive":
        return Conditions(scan=level)
    rng = random.Random(f"archive-{variant}")
    turns = tuple((page, rng.choice(TURNS)) for page in range(1, pages + 1) if rng.random() < 0.5)
    notes = tuple(page for page in range(1, pages + 1) if page == 1 or rng.random() < 0.4)
    return Conditions(
        scan="scan",
        dpi=200,
        grey=True,
        skew=round(rng.uniform(-MAX_SKEW, MAX_SKEW), 2),
        turns=turns,
        stamp=True,
        handwriting=notes,
        typewriter=variant % 2 == 1,
        aged=variant % 4 != 2,
    )


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def stamp_place(layout: PageLayout, rng: random.Random) -> tuple[Box, str]:
    """Box (points) of a received stamp in the header area, under the issuer block, and where it went:
    ``number`` (its frame over the foot of the number line) or ``below`` (just under it, reaching down to
    the title at times); ``top`` (the top margin) on a page without a header."""
    w = rng.uniform(118.0, 140.0)
    h = w * rng.uniform(0.56, 0.64)
    left = [line for line in layout.lines if line.block == "header-left"]
    number = next((line for line in left if line.text.startswith("Số")), left[-1] if left else None)
    if number is None:
        x0 = MARGIN_LEFT + rng.uniform(0.0, 40.0)
        top = rng.uniform(5.0, 14.0)
        return (x0, top, x0 + w, top + h), "top"
    place = rng.choice(["number", "below"])
    cx = (min(line.x0 for line in left) + max(line.x1 for line in left)) / 2 + rng.uniform(-18, 18)
    top = (
        number.box[3] - rng.uniform(1.0, 7.0) if place == "number" else number.box[3] + rng.uniform(2.0, 12.0)
    )
    x0 = min(max(4.0, cx - w / 2), PAGE_W - 4.0 - w)
    return (x0, top, x0 + w, top + h), place


def _text_bottom(layout: PageLayout) -> float:
    bottoms = [line.box[3] for line in layout.lines] + [mark.box[3] for mark in layout.marks]
    return max(bottoms, default=PAGE_H / 2)


def note_place(layout: PageLayout, lines: int, rng: random.Random, avoid: list[Box]) -> tuple[Box, str]:
    """Box (points) for ``lines`` handwritten lines and its place: ``left`` margin (written up the page),
    ``top`` margin or the ``blank`` space under the last text. Never over ``avoid`` (the stamp)."""
    pitch = rng.uniform(17.0, 21.0)
    height = lines * pitch
    candidates: list[tuple[Box, str]] = []
    length = rng.uniform(170.0, 280.0)
    y0 = rng.uniform(200.0, PAGE_H - 80.0 - length)
    candidates.append(((rng.uniform(3.0, 8.0), y0, 0.0, y0 + length), "left"))
    width = rng.uniform(190.0, 290.0)
    x0 = rng.uniform(MARGIN_LEFT + 40.0, PAGE_W - 30.0 - width)
    candidates.append(((x0, rng.uniform(3.0, 8.0), x0 + width, 0.0), "top"))
    free = PAGE_H - 12.0 - _text_bottom(layout)
    if free >= height + 10.0:
        top = _text_bottom(layout) + 6.0 + rng.uniform(0.0, free - height - 10.0)
        candidates.append(
            ((MARGIN_LEFT + rng.uniform(0.0, 60.0), top, MARGIN_LEFT + 60.0 + width, 0.0), "blank")
        )
    rng.shuffle(candidates)
    for (bx0, by0, bx1, by1), place in candidates:
        box = (bx0, by0, bx0 + height, by1) if place == "left" else (bx0, by0, bx1, by0 + height)
        if place == "top":  # two lines fit the top margin; a third would sit on the header
            box = (bx0, by0, bx1, by0 + min(height, 2 * pitch + 4.0))
        if not any(_overlaps(box, other) for other in avoid):
            return box, place
    return (3.0, 200.0, 3.0 + height, 200.0 + length), "left"


def _px(box: Box, dpi: int) -> tuple[int, int, int, int]:
    k = dpi / 72.0
    return tuple(round(v * k) for v in box)  # type: ignore[return-value]


def _mark_page(page: RenderedPage, number: int, cond: Conditions, seed: int) -> dict:
    """Stamp, annotate and age one rendered page in place; returns what was put where (boxes in points)."""
    array = np.array(page.image)
    info: dict = {}
    avoid: list[Box] = []
    if cond.stamp and number == 1:
        rng = random.Random(f"stamp-{seed}")
        box, place = stamp_place(page.layout, rng)
        office = list(rng.choice(OFFICES))
        ink, pen = rng.choice(STAMP_INKS), rng.choice(["blue", "black"])
        received_stamp(
            array, _px(box, page.dpi), page.dpi, office, np.random.default_rng([seed, 1]), ink=ink, pen=pen
        )
        info["stamp"] = {
            "box_pt": [round(v, 1) for v in box],
            "place": place,
            "ink": ink,
            "pen": pen,
            "office": office,
        }
        avoid.append(box)
    if number in cond.handwriting:
        rng = random.Random(f"note-{seed}-{number}")
        lines = rng.choice([2, 3])
        box, place = note_place(page.layout, lines, rng, avoid)
        ink = rng.choice(sorted(INKS))
        lines = min(lines, 2) if place == "top" else lines
        write_hand(
            array,
            _px(box, page.dpi),
            page.dpi,
            np.random.default_rng([seed, 2, number]),
            lines=lines,
            ink=ink,
            vertical=place == "left",
        )
        info["handwriting"] = {
            "box_pt": [round(v, 1) for v in box],
            "place": place,
            "lines": lines,
            "ink": ink,
        }
    if cond.aged:
        info["aged"] = age_paper(array, page.dpi, np.random.default_rng([seed, 3, number]))
    image = Image.fromarray(array)
    image.info["dpi"] = (page.dpi, page.dpi)
    page.image = image
    return info


def turn(image: Image.Image, clockwise: int) -> Image.Image:
    """The page as the scanner saw it when fed turned: its text rotated ``clockwise`` degrees."""
    if clockwise % 360 == 0:
        return image
    method = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    out = image.transpose(method[clockwise % 360])
    out.info.update(image.info)
    return out


def make_document(
    source: DocumentSource, conditions: Conditions, *, seed: int = 0, degrade_seed: int | None = None
) -> SyntheticDocument:
    """Render ``source`` under ``conditions``; page ``i`` is degraded with seed ``degrade_seed + i``
    (default ``100 * seed + i``, as ``scripts/make_samples.py`` always did)."""
    typed = typewriter_source(source) if conditions.typewriter else source
    rendered = render_pages(typed, dpi=conditions.dpi, seed=seed, face=conditions.face)
    base = 100 * seed if degrade_seed is None else degrade_seed
    turns = dict(conditions.turns)
    pages, truths, records = [], [], []
    for index, page in enumerate(rendered):
        number = index + 1
        record: dict = {"page": number}
        record.update(_mark_page(page, number, conditions, seed))
        image = degrade(page.image, conditions.scan, base + index, skew=conditions.skew, grey=conditions.grey)
        record["skew_ccw"] = round(float(image.info.get("skew", 0.0)), 3)
        record["turn_cw"] = turns.get(number, 0)
        image = turn(image, record["turn_cw"])
        record.update(mode=image.mode, size=list(image.size))
        pages.append(image)
        truths.append("\n".join(page.layout.truth_lines()))
        records.append(record)
    meta = {
        "source": source.doc_id,
        "seed": seed,
        "conditions": conditions.as_dict(),
        "pages": records,
        "truth": "printed text only: stamps, handwriting, seal and signature are graphics",
    }
    return SyntheticDocument(pages, truths, meta)
