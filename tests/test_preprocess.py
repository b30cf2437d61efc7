"""Preprocessing on real rendered pages: skew is measured, the seal goes, specks go, accents stay."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipeline.scan import ocr, preprocess
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page


def _rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def test_skew_is_measured_and_removed(short_plan_pages) -> None:
    tilted = short_plan_pages[0].convert("L").rotate(1.5, resample=Image.Resampling.BILINEAR, fillcolor=255)
    _, report = preprocess_page(_rgb(tilted), 300, PreprocessOptions())
    assert abs(report.deskew_angle - 1.5) <= 0.2
    _, straight = preprocess_page(_rgb(short_plan_pages[0]), 300, PreprocessOptions())
    assert abs(straight.deskew_angle) <= 0.2


def test_red_seal_is_removed_and_text_under_it_kept(short_plan_pages) -> None:
    page = _rgb(short_plan_pages[0])
    cleaned, seal_pixels = preprocess.remove_red_ink(page)
    assert seal_pixels > 10_000
    red = (page[:, :, 0].astype(int) - page[:, :, 1:].max(axis=2)) > 60
    assert (cleaned[red] == 255).all()
    dark_before = (page.min(axis=2) < 60).sum()
    dark_after = (cleaned.min(axis=2) < 60).sum()
    assert dark_after >= 0.97 * dark_before  # black text (including under the seal) survives


def test_despeckle_drops_isolated_dots_but_keeps_diacritics() -> None:
    image = Image.new("L", (1200, 400), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", 58)
    draw.text((100, 150), "Hoạt động ịị ẹ", font=font, fill=0)
    rng = np.random.default_rng(0)
    dots = [
        (int(x), int(y)) for x, y in zip(rng.integers(50, 1150, 40), rng.integers(20, 60, 40), strict=True)
    ]
    for x, y in dots:
        draw.ellipse((x, y, x + 3, y + 3), fill=0)
    binary = np.asarray(image)
    cleaned = preprocess.despeckle(binary, 300)
    assert (cleaned[10:70] == 255).all()  # every speck above the text line is gone
    text_ink = (binary[100:] < 128).sum()
    assert (cleaned[100:] < 128).sum() == text_ink  # letters and their dots below are untouched


def test_long_streaks_are_removed(short_plan_pages) -> None:
    gray = np.asarray(short_plan_pages[0].convert("L")).copy()
    gray[200:3300:1, 600:603] = 0  # a copier streak down the page
    binary = preprocess.binarize(gray, 300)
    cleaned = preprocess.despeckle(binary, 300)
    column = cleaned[200:3300, 600:603]
    assert (column < 128).mean() < 0.05


def test_grey_seal_is_faded_on_a_photocopy(short_plan_pages) -> None:
    grey = cv2.cvtColor(_rgb(short_plan_pages[0]), cv2.COLOR_RGB2GRAY)
    binary = preprocess.binarize(grey, 300)
    faded, found = preprocess.fade_grey_seal(grey, binary, 300)
    assert found
    removed = (binary < 128) & (faded >= 128)
    assert removed.sum() > 5_000
    # only lighter (seal) ink was dropped, never black text (0-30; the seal's darkest grain is about 50)
    assert (grey[removed] > 45).all()


def test_each_step_can_be_switched_off(short_plan_pages) -> None:
    page = _rgb(short_plan_pages[0])
    out, report = preprocess_page(page, 300, PreprocessOptions(**dict.fromkeys(preprocess.STEPS, False)))
    assert report.applied == []
    assert out.shape == page.shape[:2]
    _, full = preprocess_page(page, 300, PreprocessOptions())
    # the seal was red: no grey seal to fade
    assert full.applied == ["remove_seal", "normalize", "orient", "deskew", "binarize", "despeckle"]
    assert full.rotation == 0


def _lines_image(lines: list[tuple[str, str]], size: int = 54) -> np.ndarray:
    image = Image.new("L", (2480, 120 + 110 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, (style, text) in enumerate(lines):
        font = f"/usr/share/fonts/truetype/liberation2/LiberationSerif-{style}.ttf"
        draw.text((200, 80 + 110 * i), text, font=ImageFont.truetype(font, size), fill=0)
    return np.asarray(image)


def test_despeckle_keeps_long_words_ellipses_and_spaced_full_stops() -> None:
    """Regressions on clean scans: the long-line filter took the x-height band of long unbroken words for a
    ruled line, and the speck filter the dots of an ellipsis and a full stop typed after a space."""
    binary = preprocess.binarize(
        _lines_image(
            [
                ("Regular", "Thông tin chi tiết tại thiduakhenthuongbinhdinhgovvn"),
                ("Bold", "THIĐUAKHENTHƯỞNGTỈNHBÌNHĐỊNH"),
                ("Regular", "Khen thưởng tập thể, cá nhân tiêu biểu, v.v..."),
                ("Regular", "Các nội dung khác …"),
                ("Regular", "Báo cáo kết quả về Sở trước ngày 30 tháng 5 ."),
                ("Regular", "Tổ chức sơ kết, tổng kết phong trào thi đua, ."),
            ]
        ),
        300,
    )
    cleaned = preprocess.despeckle(binary, 300)
    assert ((binary < 128) & (cleaned >= 128)).sum() == 0  # not one pixel of text lost


def test_rules_and_underlines_still_go_next_to_long_words() -> None:
    image = _lines_image([("Bold", "THIĐUAKHENTHƯỞNGTỈNHBÌNHĐỊNH")]).copy()
    image[200:204, 150:2300] = 0  # a ruled line under the heading, 4 px thick
    binary = preprocess.binarize(image, 300)
    cleaned = preprocess.despeckle(binary, 300)
    assert (cleaned[200:204, 150:2300] < 128).mean() < 0.05
    word = binary[60:170] < 128
    assert ((cleaned[60:170] < 128) == word).all()


def test_the_cap_line_of_a_bold_heading_is_no_rule() -> None:
    """A scanned bold serif heading: its top serifs and the bars of its T's, bridged, make a solid run along
    the cap line; erased as a rule, "THỨC" and "THƯỞNG" read "LHỨC" and "LHƯỬNG". The rule under it goes."""
    image = Image.new("L", (2480, 600), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf", 58)
    draw.text((300, 150), "IV. HÌNH THỨC VÀ TIÊU CHUẨN KHEN THƯỞNG", font=font, fill=0)
    draw.line((300, 400, 1500, 400), fill=0, width=4)
    image = image.filter(ImageFilter.GaussianBlur(1.0))  # a scan's soft edges
    page, _ = preprocess_page(np.asarray(image.convert("RGB")), 300, PreprocessOptions())
    assert ocr.ocr_page(page, 300).text == "IV. HÌNH THỨC VÀ TIÊU CHUẨN KHEN THƯỞNG"
    assert (page[390:410, 300:1500] < 128).sum() == 0


def test_background_is_normalised_the_same_on_a_page_fed_sideways(short_plan_pages) -> None:
    # a page turned by 90 degrees must read as the same page upright once turned back
    grey = cv2.cvtColor(_rgb(short_plan_pages[0]), cv2.COLOR_RGB2GRAY)
    shade = np.linspace(0.7, 1.0, grey.shape[1], dtype=np.float32)  # a photocopy darker on the left
    shaded = (grey.astype(np.float32) * shade).astype(np.uint8)
    upright = preprocess.normalize_background(shaded, 300)
    assert shaded[5, 5] < 190 and upright[5, 5] > 240  # the shading was lifted off the paper
    for turns in (1, 2, 3):
        turned = preprocess.normalize_background(np.ascontiguousarray(np.rot90(shaded, turns)), 300)
        assert np.array_equal(np.rot90(turned, -turns), upright), turns


def _copier_border(page: np.ndarray) -> np.ndarray:
    """A copier's black border on the left and top edges, square to the scan and not to the text."""
    out = page.copy()
    h, w = out.shape[:2]
    out[:, : int(0.035 * w)] = 15
    out[: int(0.02 * h), :] = 20
    return out


def test_skew_is_measured_on_the_text_not_on_a_copier_border(short_plan_pages) -> None:
    """The border's long straight edges made the sharpest profile at 0° (measured 0.1° for 1.4°)."""
    tilted = short_plan_pages[0].convert("L").rotate(1.5, resample=Image.Resampling.BILINEAR, fillcolor=255)
    bordered = _copier_border(np.asarray(tilted))
    _, report = preprocess_page(cv2.cvtColor(bordered, cv2.COLOR_GRAY2RGB), 300, PreprocessOptions())
    assert abs(report.deskew_angle - 1.5) <= 0.2


def test_a_coarse_scan_is_enlarged_to_the_reading_resolution(short_plan_pages) -> None:
    """A 150-dpi page is enlarged to 300 dpi before it is read (a dash or a mark is a speck of two or
    three pixels at 150); a 200-dpi or finer page is left as it is."""
    page = _rgb(short_plan_pages[0])
    coarse = cv2.resize(page, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    enlarged, dpi = preprocess.to_reading_resolution(coarse, 150)
    assert dpi == preprocess.READ_DPI
    assert abs(enlarged.shape[0] - page.shape[0]) <= 2 and abs(enlarged.shape[1] - page.shape[1]) <= 2
    same, dpi = preprocess.to_reading_resolution(coarse, 200)
    assert same is coarse and dpi == 200
