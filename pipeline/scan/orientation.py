"""Page orientation: find pages fed sideways or upside down and turn them upright before deskew.

Tesseract reads a page turned by 180° as confident-looking garbage and a page turned by 90° as nothing, so
every page is checked, but cheaply. Two measurements on the page's glyphs at 150 dpi (about 0.1 s of CPU
on an A4 page at 300 dpi, against 4-5 s for its OCR) settle every upright page:

* the axis: text lines run where each glyph's nearest neighbour is. On an upright or upside-down page
  about 80 % of the glyphs have theirs beside them, on a sideways page about 20 %;
* up or down: in a word, Latin (and even more Vietnamese) script puts much more ink above the x-height
  band (ascenders, capitals, tone marks) than below it (descenders, the dot below). Measured without the
  specks of a bad copy, and only on boxes that are words by their own band (not lines run together), so
  that copies of copies, whose specks and thickened accents hid the lean, lean as clearly as scans.

An upright page (text lines across, ink above the band) is left alone without calling Tesseract. A page
whose ink sits clearly below the band is upside down, and a sideways page is turned the way its text stands
when the up/down measure, taken with the page turned by 90°, is clear: the measure is symmetric (a page turned
by 180° measures the opposite), so a clear lean is as safe a sign of a turned page as of an upright one, and
these pages need no Tesseract call either. Only the others are given to Tesseract's orientation detection
(OSD, ``--psm 0``, about 1 s of CPU) on the same 150 dpi image; its answer must fit the text axis. When OSD
cannot decide, a strip of the page is read at the two candidate turns (about 2 s) and the one read with the
clearly higher confidence wins. A page with lines across whose ink leans up, but too little to be sure
(copies of copies break the accents), is first read as it lies in that strip alone: when it reads as text
the page is upright, without OSD (one strip read instead of OSD and two). On the benchmark pages (five
levels and held-out copies, each at four turns) only a short typewritten page needs Tesseract at all.
A page is turned only when the
evidence says so: a doubtful page with horizontal lines, and a page without a clear text direction, stay as
they are.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from pipeline.errors import PageError
from pipeline.external import tesseract

# Resolution the orientation is measured at: glyphs are still well formed, the page is 4x smaller.
ORIENT_DPI = 150
# Fewer glyphs than this: nothing to orient (blank page, photo, a few words).
MIN_GLYPHS = 40
# Specks: components of fewer pixels than this at ORIENT_DPI are not ink of the text. A photocopy of a
# photocopy has thousands (1-7 pixels at 150 dpi; a clean page's smallest marks, dots and accents, 8 and
# more); joined to words they blur the band of each word, and as glyphs they made the median glyph a speck.
SPECK_AREA = 8
# The typical glyph size is the median over the components at least this big (a fraction of the dpi: 7 px
# at 150 dpi, about 1.2 mm), so that specks left over cannot become the typical glyph.
MIN_GLYPH_SIZE = 1 / 20
# Share of glyphs whose nearest neighbour lies beside them: >= HORIZONTAL means lines across the page,
# <= VERTICAL lines down it (measured 0.77-0.85 and 0.15-0.35 on the sample scans and photocopies).
HORIZONTAL = 0.55
VERTICAL = 0.45
# (ink above - ink below the x-height band) / (both), over all words: upright pages measure +0.17 to
# +0.61 (copies of copies +0.19 to +0.45), the same pages upside down the opposite, measured on 400 page
# turns (the benchmark's five levels and held-out archive, photocopy and copy2 documents, each page at
# four turns). The exceptions: a short typewritten archive page, -0.06 to +0.06 at every turn, and a copy2
# page without a clear axis (+-0.05). Past UPRIGHT the page is taken as upright without OSD.
UPRIGHT = 0.08
# Past INK_DECIDES (either sign) the up/down score alone turns a page upside down or sideways, without OSD:
# sideways pages measure the same range turned by 90, never past 0.06 with the wrong sign. The margin
# above UPRIGHT keeps the pages whose lean is weak for OSD.
INK_DECIDES = 0.15
# ... and only on a page whose axis is clear: its horizontal share this far from the middle (pages of a
# table or a few lines, on copies of copies, measured 0.46-0.56 at every turn, one sideways one 0.56).
CLEAR_AXIS = 0.15
# Less text than this, in glyph heights of word width, gives no reliable up/down score (about 15 words).
# Counted as width, not as words: on a copy of a copy a line's words run together into one box.
MIN_TEXT = 40.0
# A word taller than this many glyph heights is not one word: lines joined by specks or touching accents
# (copies of copies), whose band is one line's and whose ink above and below is the other line's. Up to
# 3 the copies of copies leaned -0.08 to +0.13 either way, at 1.7 they lean at least +0.19. Below 1.6 the
# cap starts to keep the short words with descenders and drop the tall ones with capitals and accents: at
# 1.5 upright archive pages leaned down.
WORD_HEIGHT_MAX = 1.7
# ... and a word is taller than its own band (it has ink above or below it) but not more than this many
# times: a small type's lines joined together have one line's band. Each word is judged by its own band,
# so a page of big and small type (a signature block over a list of recipients) counts both.
WORD_BAND_MAX = 3.0
# OSD confidences below this are a guess (pages at 150 dpi measure 2-7 with OSD_CHARACTERS); a guess that
# agrees with a clear lean of the glyph measurements needs only OSD_AGREEING_CONFIDENCE.
OSD_MIN_CONFIDENCE = 1.5
OSD_AGREEING_CONFIDENCE = 0.5
# OSD classifies this many characters (Tesseract's default is 50): each costs about 35 ms of CPU, and
# OSD here only confirms the glyph measurements.
OSD_CHARACTERS = 20
OSD_TIMEOUT_S = 30.0
# The strip read at two turns: the turn read with mean word confidence this much higher wins.
STRIP_MARGIN = 10.0
# A strip read as it lies with at least this mean word confidence is upright text: upright strips of copies
# of copies measure 70-79 (one photocopy 62, one copy2 page 53), the same strips upside down 23-47 (read
# at 0 degrees they are not text). At 60, 13 points above the highest upside-down strip, the photocopy's
# upright page needs no OSD after its strip read.
STRIP_UPRIGHT = 60.0
STRIP_TIMEOUT_S = 30.0

_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@dataclass
class Orientation:
    """How a page was found to lie and what was done about it."""

    rotation: int = 0  # degrees clockwise the page was turned to stand upright: 0, 90, 180 or 270
    method: str = "upright"  # what decided: upright, ink, too little text, osd, strip, axis, unsure
    horizontal: float | None = None  # share of glyphs with their nearest neighbour beside them
    updown: float | None = None  # ink above minus below the x-height band, page as it came in (lines across)
    updown_turned: float | None = None  # the same with the page turned clockwise by 90 (sideways pages)
    osd_rotation: int | None = None
    osd_confidence: float | None = None
    strip_confidences: dict[int, float] | None = None  # mean word confidence of the strip at each turn
    ms: float = 0.0  # time spent deciding

    def as_dict(self) -> dict:
        data = asdict(self)
        if self.strip_confidences is not None:
            data["strip_confidences"] = {str(k): round(v, 1) for k, v in self.strip_confidences.items()}
        return data


def turn(image: np.ndarray, rotation: int) -> np.ndarray:
    """``image`` turned clockwise by ``rotation`` (a multiple of 90), losslessly."""
    rotation %= 360
    return image if rotation == 0 else cv2.rotate(image, _TURN[rotation])


def orient(gray: np.ndarray, dpi: int, *, lang: str = "vie") -> Orientation:
    """Decide how to turn a greyscale page (dark text on light paper) so that its text stands upright."""
    started = time.perf_counter()
    scale = min(1.0, ORIENT_DPI / max(dpi, 1))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    small_dpi = max(1, round(dpi * scale))
    block = max(15, int(small_dpi / 300 * 41)) | 1
    binary = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 15)
    result = _decide(gray, binary, small_dpi, scale, lang)
    result.ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def _decide(gray: np.ndarray, binary: np.ndarray, small_dpi: int, scale: float, lang: str) -> Orientation:
    ink, glyphs = _glyphs((binary < 128).astype(np.uint8), small_dpi)
    if len(glyphs) < MIN_GLYPHS:
        return Orientation(method="too little text")
    result = Orientation(horizontal=round(_horizontal_share(glyphs), 3))
    if result.horizontal >= HORIZONTAL:  # only lines across have words to measure as the page lies
        result.updown = _updown(ink, float(np.median(glyphs[:, 3])))
        if result.updown is not None and result.updown >= UPRIGHT:
            return result  # lines across, ink above the band: upright, nothing more to ask
    # turned by 90, a glyph's width is its height
    candidates, lean = _candidates(result, ink, float(np.median(glyphs[:, 2])))
    if not candidates:
        result.method = "unsure"  # no clear text direction (a table, a form, noise): left as it is
        return result
    if _ink_decides(result, lean):
        return result
    if candidates == (0, 180) and lean is None and (result.updown is None or result.updown >= 0):
        # Lines across, ink a little above the band (a copy of a copy breaks the accents) or too few
        # words to tell: most likely upright. A strip read as it lies settles that in one small read,
        # where OSD and the strip at both turns cost as much as the page's own OCR.
        strip = _text_strip(gray, glyphs, scale, across=True)
        if _read_upright_strip(result, strip, lang):
            return result
    _ask_osd(result, binary, small_dpi, candidates, lean)
    if result.method == "osd":
        return result
    strip = _text_strip(gray, glyphs, scale, across=0 in candidates)
    _read_strip(result, strip, candidates, lang)
    return result


def _candidates(result: Orientation, ink: np.ndarray, width: float) -> tuple[tuple[int, ...], int | None]:
    """The two turns the text axis allows, and the one the glyphs lean to (None: no clear lean).

    ``width``: the typical glyph width on the page as it lies, the glyph height of a sideways page turned
    by 90. No candidates when the axis is unclear: OSD reads random noise as confidently turned as some
    pages.
    """
    if result.horizontal >= HORIZONTAL:
        leans_down = result.updown is not None and result.updown <= -UPRIGHT
        return (0, 180), (180 if leans_down else None)
    if result.horizontal <= VERTICAL:
        # Lines run down the page: turned clockwise by 90 its text is upright or upside down.
        updown = result.updown_turned = _updown(turn(ink, 90), width)
        candidates = (90, 270) if updown is None or updown >= 0 else (270, 90)
        return candidates, (candidates[0] if updown is not None and abs(updown) >= UPRIGHT else None)
    return (), None


def _ink_decides(result: Orientation, lean: int | None) -> bool:
    """Turn the page to the glyphs' lean alone when its up/down score is past :data:`INK_DECIDES`.

    A page with lines across leaning that far down is upside down; a sideways page is turned by 90 or 270
    as its score turned by 90 says. Weaker leans, and pages whose axis is not clear, are left to OSD.
    """
    score = result.updown_turned if lean in (90, 270) else result.updown
    clear_axis = result.horizontal is not None and abs(result.horizontal - 0.5) >= CLEAR_AXIS
    if lean is None or score is None or abs(score) < INK_DECIDES or not clear_axis:
        return False
    result.rotation, result.method = lean, "ink"
    return True


def _ask_osd(
    result: Orientation, binary: np.ndarray, dpi: int, candidates: tuple[int, ...], lean: int | None
) -> None:
    """Take Tesseract's OSD answer if it fits the text axis and is confident, or agrees with the lean."""
    try:
        guess = tesseract.detect_orientation(
            binary, dpi=dpi, timeout_s=OSD_TIMEOUT_S, min_characters=OSD_CHARACTERS
        )
    except PageError:
        guess = None  # the strip check decides; the page's OCR will report a broken Tesseract itself
    result.method = "unsure"
    if guess is None:
        return
    result.osd_rotation, result.osd_confidence = guess.rotate, round(guess.confidence, 2)
    needed = OSD_AGREEING_CONFIDENCE if guess.rotate == lean else OSD_MIN_CONFIDENCE
    if guess.rotate in candidates and guess.confidence >= needed:
        result.rotation, result.method = guess.rotate, "osd"


def _strip_confidence(strip: np.ndarray, rotation: int, lang: str) -> float | None:
    """Mean word confidence of the strip read turned by ``rotation`` (0 when nothing is read), None when
    the read failed (Tesseract timed out on a loaded machine): a failed read is no evidence, where
    counting it as 0 turned an upright page upside down."""
    try:
        words = tesseract.recognize_words(turn(strip, rotation), lang=lang, psm=6, timeout_s=STRIP_TIMEOUT_S)
    except PageError:
        return None
    return float(np.mean([w.conf for w in words])) if words else 0.0


def _read_upright_strip(result: Orientation, strip: np.ndarray, lang: str) -> bool:
    """Whether the strip, read as it lies, reads as text (:data:`STRIP_UPRIGHT`): then the page is upright."""
    conf = _strip_confidence(strip, 0, lang)
    if conf is None:
        return False
    result.strip_confidences = {0: conf}
    if conf >= STRIP_UPRIGHT:
        result.method = "strip"
        return True
    return False


def _read_strip(result: Orientation, strip: np.ndarray, candidates: tuple[int, ...], lang: str) -> None:
    """Read the densest band of text at each candidate turn; a clear winner decides.

    Without one, a sideways page is turned by the glyphs' guess (the first candidate) and a page with
    horizontal lines is left as it is.
    """
    confs: dict[int, float] = dict(result.strip_confidences or {})  # a turn already read is not read again
    for rotation in candidates:
        if rotation not in confs:
            conf = _strip_confidence(strip, rotation, lang)
            if conf is not None:
                confs[rotation] = conf
    result.strip_confidences = confs
    if len(confs) < len(candidates):  # a read failed: no comparison
        if 0 not in candidates:
            result.rotation, result.method = candidates[0], "axis"
        return
    best = max(confs, key=confs.__getitem__)
    others = [c for r, c in confs.items() if r != best]
    if confs[best] >= max(others) + STRIP_MARGIN:
        result.rotation, result.method = best, "strip"
    elif 0 not in candidates:
        result.rotation, result.method = candidates[0], "axis"


def _glyphs(ink: np.ndarray, dpi: int) -> tuple[np.ndarray, np.ndarray]:
    """The ink without its specks (:data:`SPECK_AREA`), and the stats rows (x, y, w, h, area) of its
    components that look like letters, not specks or rules.

    One labelling serves both: the specks are what the up/down measure must not see, and the typical
    glyph is measured on the components big enough to be letters (:data:`MIN_GLYPH_SIZE`), so that the
    specks of a copy of a copy (sizes 1-5 at 150 dpi, thousands of them) do not make it a speck.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_32S, cv2.CCL_GRANA)
    speck_area = max(1, round(SPECK_AREA * (dpi / ORIENT_DPI) ** 2))
    keep = (stats[:, 4] >= speck_area).astype(np.uint8)
    keep[0] = 0
    ink = keep[labels]
    stats = stats[1:n][keep[1:n] > 0]
    h_img, w_img = ink.shape
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    inside = (x > 2) & (y > 2) & (x + w < w_img - 2) & (y + h < h_img - 2)
    sized = (np.maximum(w, h) >= 4) & (np.maximum(w, h) <= max(h_img, w_img) / 20)
    stats = stats[inside & sized]
    if len(stats) == 0:
        return ink, stats
    size = np.maximum(stats[:, 2], stats[:, 3])
    letters = size[size >= MIN_GLYPH_SIZE * dpi]
    typical = float(np.median(letters if len(letters) >= MIN_GLYPHS else size))
    return ink, stats[(size >= 0.5 * typical) & (size <= 2.5 * typical)]


def _horizontal_share(glyphs: np.ndarray, sample: int = 400) -> float:
    """Share of glyphs whose nearest glyph (centre to centre) lies more beside than above or below them."""
    centres = (glyphs[:, :2] + glyphs[:, 2:4] / 2.0).astype(np.float32)
    queries = centres
    if len(centres) > sample:
        queries = centres[np.random.default_rng(0).choice(len(centres), sample, replace=False)]
    d = centres[None, :, :] - queries[:, None, :]
    dist = np.square(d[..., 0]) + np.square(d[..., 1])
    dist[dist == 0] = np.inf  # the glyph itself
    nearest = d[np.arange(len(queries)), dist.argmin(axis=1)]
    return float((np.abs(nearest[:, 0]) > np.abs(nearest[:, 1])).mean())


def _updown(ink: np.ndarray, glyph_height: float) -> float | None:
    """Ink above minus ink below the x-height band of each word, over all words; None if too little text.

    Words are glyphs joined across letter gaps; within a word skew does not matter. The band is the rows
    of a word's box holding at least half of its fullest row's ink. Boxes taller than
    :data:`WORD_HEIGHT_MAX` glyphs or :data:`WORD_BAND_MAX` bands are lines joined together, not words,
    and are not counted; nor are boxes no taller than their band, with no ink above or below to tell.
    """
    join = max(2, int(round(glyph_height * 0.5)))
    joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (join, 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(joined, 8, cv2.CV_32S, cv2.CCL_GRANA)
    lowest = MIN_GLYPH_SIZE * ORIENT_DPI  # the smallest letter at ORIENT_DPI
    above = below = 0.0
    text = 0.0
    for x, y, w, h, _ in stats[1:n]:
        if not (lowest <= h <= WORD_HEIGHT_MAX * glyph_height and w >= 1.5 * h):
            continue
        profile = ink[y : y + h, x : x + w].sum(axis=1, dtype=np.int64)
        band = np.flatnonzero(profile * 2 >= profile.max())
        if not 1.2 * (band[-1] - band[0] + 1) <= h <= WORD_BAND_MAX * (band[-1] - band[0] + 1):
            continue
        above += float(profile[: band[0]].sum())
        below += float(profile[band[-1] + 1 :].sum())
        text += w / glyph_height
    if text < MIN_TEXT or above + below == 0:
        return None
    return round((above - below) / (above + below), 3)


def _text_strip(gray: np.ndarray, glyphs: np.ndarray, scale: float, across: bool) -> np.ndarray:
    """The band of whole text lines (an eighth of the page) holding the most glyphs, at full resolution.

    ``across``: text lines run across the page, the band is a band of rows; else a band of columns.
    """
    axis = 1 if across else 0  # glyph centre coordinate along which the band is cut (y or x)
    length = gray.shape[0] if across else gray.shape[1]
    centres = (glyphs[:, axis] + glyphs[:, axis + 2] / 2.0) / scale
    counts = np.bincount(np.clip(centres.astype(np.int64), 0, length - 1), minlength=length)
    size = max(1, length // 8)
    start = int(np.argmax(np.convolve(counts, np.ones(size), mode="valid")))
    return gray[start : start + size, :] if across else gray[:, start : start + size]
