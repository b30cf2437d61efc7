"""ALTO (always) and hOCR (``--hocr``) of scanned documents: valid ALTO 4, restored words where they were
printed, confidences, the OCR reading of changed words, the header fields and sections as tags."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from devtools.synth import parse_source
from devtools.synth.layout import ASCENT, DESCENT, text_width
from devtools.synth.pdf import write_pdf
from devtools.synth.render import render_pages
from pipeline.outputs.alto import SCHEMA_FILE, alto_xml
from pipeline.outputs.hocr import hocr_xml
from pipeline.record import DocumentResult, PageResult, Status
from tests.cli import sohoa

A = "{http://www.loc.gov/standards/alto/ns-v4#}"
H = "{http://www.w3.org/1999/xhtml}"

# Two pages; the line without diacritics is printed so, for the restoration to change its words.
SOURCE = """\
[header-left]
UBND TỈNH BÌNH ĐỊNH
#bu SỞ GIÁO DỤC VÀ ĐÀO TẠO
Số: 87/KH-SGDĐT
[header-right]
#b12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
#bu Độc lập - Tự do - Hạnh phúc
#i Bình Định, ngày 20 tháng 4 năm 2023
[body]
#cb KẾ HOẠCH
#cb Phát động phong trào thi đua “Dạy tốt, học tốt” năm học 2023 - 2024
Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh, Sở Giáo dục và Đào tạo xây dựng kế hoạch phát động phong
  trào thi đua trong toàn ngành như sau:
#b I. MỤC ĐÍCH, YÊU CẦU
Khơi dậy tinh thần đoàn kết, sáng tạo của đội ngũ nhà giáo và học sinh; biểu dương kịp thời những gương
  điển hình tiên tiến trong dạy và học.
Cac don vi trien khai ke hoach nghiem tuc va bao cao ket qua dung han.
@pagebreak
#b II. TỔ CHỨC THỰC HIỆN
Các phòng chuyên môn và đơn vị trực thuộc căn cứ kế hoạch này để triển khai, báo cáo kết quả về Sở trước
  ngày 30 tháng 5.
[footer-left]
#bi Nơi nhận:
#s - Như trên;
#s - Lưu: VT, VP.
[footer-right]
#b KT. GIÁM ĐỐC
#b PHÓ GIÁM ĐỐC
@seal SỞ GIÁO DỤC VÀ ĐÀO TẠO * TỈNH BÌNH ĐỊNH
@signature
#b Trần Thị Mai
"""
# The scanner's skew of each page, degrees counter-clockwise (PIL's sense): known, so boxes can be checked.
SKEWS = (1.2, -0.8)
UNACCENTED = "Cac don vi trien khai ke hoach nghiem tuc va bao cao ket qua dung han."


def schema() -> etree.XMLSchema:
    """The shipped ALTO 4.3 XSD, compiled offline (it imports the XLink schema beside it)."""
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), parser))


def box_of(element: etree._Element) -> tuple[float, float, float, float]:
    x, y = float(element.get("HPOS")), float(element.get("VPOS"))
    return (x, y, x + float(element.get("WIDTH")), y + float(element.get("HEIGHT")))


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def centre(box: tuple[float, ...]) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def drawn_boxes(page, skew: float) -> dict[str, tuple[float, float, float, float]]:
    """Where each word of the unaccented line lies on the skewed scan: its layout box, turned like PIL
    turned the page (counter-clockwise about the centre), as the hull of the turned corners."""
    k = page.dpi / 72.0
    cx, cy = page.image.width / 2, page.image.height / 2
    cos, sin = math.cos(math.radians(skew)), math.sin(math.radians(skew))
    line = next(ln for ln in page.layout.lines if ln.text == UNACCENTED)
    boxes = {}
    for word, x in line.words:
        x0, x1 = x * k, (x + text_width(word, line.size, line.bold, line.italic)) * k
        y0, y1 = (line.baseline - ASCENT * line.size) * k, (line.baseline + DESCENT * line.size) * k
        turned = [
            (cx + (px - cx) * cos + (py - cy) * sin, cy - (px - cx) * sin + (py - cy) * cos)
            for px in (x0, x1)
            for py in (y0, y1)
        ]
        xs, ys = [p[0] for p in turned], [p[1] for p in turned]
        boxes[word.strip(".,")] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


@pytest.fixture(scope="module")
def alto_run(tmp_path_factory) -> dict:
    """``sohoa run --hocr`` on a two-page scan with known skews, and a text dump beside it."""
    inputs = tmp_path_factory.mktemp("inputs")
    pages = render_pages(parse_source(SOURCE, "alto_plan"), dpi=300, seed=3)
    assert len(pages) == 2
    scans = [
        p.image.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=(246, 246, 244))
        for p, skew in zip(pages, SKEWS, strict=True)
    ]
    write_pdf(scans, inputs / "plan.pdf", dpi=300)
    (inputs / "dump.txt").write_text(
        "Ke hoach to chuc phong trao thi dua nam 2024 cua so giao duc.\n", encoding="utf-8"
    )
    out = tmp_path_factory.mktemp("out")
    result = sohoa("run", inputs, "-o", out, "--workers", "2", "--quiet", "--hocr")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "documents").glob("*.json")]
    doc = next(d for d in docs if d["kind"] == "pdf")
    text = next(d for d in docs if d["kind"] == "text")
    alto = out / "alto" / f"{doc['doc_id']}.xml"
    return {"out": out, "doc": doc, "text_doc": text, "pages": pages, "alto": alto}


def test_alto_is_valid_alto_4_and_only_scans_get_one(alto_run) -> None:
    out, doc = alto_run["out"], alto_run["doc"]
    assert sorted(p.name for p in (out / "alto").iterdir()) == [f"{doc['doc_id']}.xml"]  # not the dump
    tree = etree.parse(str(alto_run["alto"]), etree.XMLParser(no_network=True))
    validator = schema()
    assert validator.validate(tree), validator.error_log
    root = tree.getroot()
    assert root.tag == f"{A}alto" and root.get("SCHEMAVERSION") == "4.3"
    assert root.findtext(f"{A}Description/{A}MeasurementUnit") == "pixel"


def test_one_page_per_page_with_its_size_and_rotation(alto_run) -> None:
    root = etree.parse(str(alto_run["alto"])).getroot()
    pages = root.findall(f".//{A}Page")
    assert [p.get("PHYSICAL_IMG_NR") for p in pages] == ["1", "2"]
    for page, stored, skew in zip(pages, alto_run["doc"]["pages"], SKEWS, strict=True):
        assert (int(page.get("WIDTH")), int(page.get("HEIGHT"))) == (stored["width"], stored["height"])
        assert 0.5 < float(page.get("PC")) <= 1.0
        rotations = {float(b.get("ROTATION")) for b in page.iter(f"{A}TextBlock")}
        assert len(rotations) == 1 and abs(rotations.pop() - skew) < 0.3  # the text's angle on the scan
        # Every box lies on the page, every word inside its line (the hull of its turned box).
        for line in page.iter(f"{A}TextLine"):
            lx0, ly0, lx1, ly1 = box_of(line)
            assert 0 <= lx0 <= lx1 <= stored["width"] and 0 <= ly0 <= ly1 <= stored["height"]
            for string in line.iter(f"{A}String"):
                x0, y0, x1, y1 = box_of(string)
                assert lx0 - 1 <= x0 <= x1 <= lx1 + 1 and ly0 - 1 <= y0 <= y1 <= ly1 + 1


def test_restored_words_are_content_where_they_were_printed(alto_run) -> None:
    """The unaccented words come out restored, with the OCR reading as the alternative, and their boxes
    cover the words as printed on the skewed scan, better than the OCR's boxes on the deskewed page."""
    root = etree.parse(str(alto_run["alto"])).getroot()
    strings = list(root.iter(f"{A}String"))
    assert all(0.0 <= float(s.get("WC")) <= 1.0 for s in strings)
    page_words = {
        unicodedata.normalize("NFC", w["text"]): w["bbox"]
        for line in alto_run["doc"]["pages"][0]["lines"]
        for w in line["words"]
    }
    drawn = drawn_boxes(alto_run["pages"][0], SKEWS[0])
    checked = 0
    # Words with ascenders: their ink fills the printed box, so centres compare (a "qua" would sit lower).
    for printed, restored in (("trien", "triển"), ("don", "đơn"), ("hoach", "hoạch"), ("ket", "kết")):
        found = [
            s for s in strings if s.get("CONTENT") == restored and s.findtext(f"{A}ALTERNATIVE") == printed
        ]
        if not found:
            continue  # the OCR or the restoration may read one of them otherwise; most must come through
        string = found[0]
        assert string.find(f"{A}ALTERNATIVE").get("PURPOSE") == "OCR"
        box = box_of(string)
        assert overlap(box, drawn[printed]) > 0.5, (restored, box, drawn[printed])
        ocr = page_words[printed]  # the OCR's box, on the deskewed page
        truth = centre(drawn[printed])
        assert math.dist(centre(box), truth) <= math.dist(centre(ocr), truth) + 1.0
        assert math.dist(centre(box), truth) < 6  # measured 1-2 px; the OCR's boxes are 14-20 px off
        checked += 1
    assert checked >= 3
    # Words that were printed with their diacritics are there too, unchanged, without an alternative.
    kept = [s for s in strings if s.get("CONTENT") == "GIÁO"]
    assert kept and kept[0].find(f"{A}ALTERNATIVE") is None


def test_header_fields_and_section_starts_are_tags(alto_run) -> None:
    root = etree.parse(str(alto_run["alto"])).getroot()
    fields = {t.get("TYPE"): t.get("LABEL") for t in root.iter(f"{A}OtherTag")}
    assert fields["issuer"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    assert fields["doc_number"] == "87" and fields["doc_symbol"] == "KH-SGDĐT"
    assert fields["issue_date"] == "2023-04-20"
    sections = {t.get("ID"): t for t in root.iter(f"{A}StructureTag")}
    assert [t.get("LABEL") for t in sections.values()] == ["MỤC ĐÍCH, YÊU CẦU", "TỔ CHỨC THỰC HIỆN"]
    assert all(t.get("TYPE") == "section" for t in sections.values())
    starts = {}
    for line in root.iter(f"{A}TextLine"):
        for ref in (line.get("TAGREFS") or "").split():
            starts.setdefault(ref, " ".join(s.get("CONTENT") for s in line.iter(f"{A}String")))
    assert starts["section_1"].startswith("I. MỤC ĐÍCH") and starts["section_2"].startswith("II. TỔ CHỨC")
    assert starts["field_issuer"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    # The section's line is where sections.parquet says it starts (line_<n>: line n of text/<doc_id>.txt).
    line_ids = {ln.get("ID") for ln in root.iter(f"{A}TextLine") if "section_2" in (ln.get("TAGREFS") or "")}
    start = next(s["start_line"] for s in alto_run["doc"]["record"]["sections"] if s["number"] == "II")
    assert line_ids == {f"line_{start}"}


def test_hocr_is_xhtml_with_the_same_words(alto_run) -> None:
    out, doc = alto_run["out"], alto_run["doc"]
    assert sorted(p.name for p in (out / "hocr").iterdir()) == [f"{doc['doc_id']}.hocr"]
    html = etree.parse(
        str(out / "hocr" / f"{doc['doc_id']}.hocr"), etree.XMLParser(no_network=True)
    ).getroot()
    assert html.tag == f"{H}html"
    pages = html.findall(f".//{H}div[@class='ocr_page']")
    assert len(pages) == 2
    assert "bbox 0 0 2480 3508" in pages[0].get("title")
    words = html.findall(f".//{H}span[@class='ocrx_word']")
    alto = etree.parse(str(alto_run["alto"])).getroot()
    assert [w.text for w in words] == [s.get("CONTENT") for s in alto.iter(f"{A}String")]
    assert "triển" in [w.text for w in words]
    for word in words:
        match = re.search(r"bbox (\d+) (\d+) (\d+) (\d+); x_wconf (\d+)", word.get("title"))
        assert match and 0 <= int(match[5]) <= 100
    assert html.findall(f".//{H}span[@class='ocr_line']")
    # OCRmyPDF and other hOCR readers take lines only inside paragraphs.
    assert html.findall(f".//{H}p[@class='ocr_par']/{H}span[@class='ocr_line']")


def test_a_rerun_writes_a_missing_alto_without_redoing_the_document(alto_run) -> None:
    out, alto = alto_run["out"], alto_run["alto"]
    before = alto.read_bytes()
    alto.unlink()
    result = sohoa("run", Path(alto_run["doc"]["source_path"]), "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "run.json").read_text())["n_skipped"] == 1
    assert alto.read_bytes() == before


def _page(**kw) -> PageResult:
    words = [{"text": "Dinh", "conf": 90.0, "bbox": [100, 200, 300, 250]}]
    line = {"text": "Dinh", "conf": 90.0, "bbox": [100, 200, 300, 250], "block": 0, "words": words}
    return PageResult(index=0, width=1000, height=2000, dpi=300, lines=[line], line_start=0, line_end=1, **kw)


def _doc(*pages: PageResult) -> DocumentResult:
    token = {"line": 0, "col": 0, "original": "Dinh", "restored": "Định", "confidence": 0.75, "changed": True}
    return DocumentResult(
        doc_id="0123456789abcdef",
        source_path="scan.tif",
        kind="tiff",
        pages=list(pages),
        raw_text="Dinh",
        text="Định",
        restoration={"tokens": [token]},
        record={"fields": {"issuer": "SỞ NỘI VỤ", "recipients": ["Như trên", "Lưu: VT"]}, "sections": []},
    )


def test_a_page_turned_upright_gets_its_boxes_on_the_scan_as_it_lay() -> None:
    """A page the pipeline turned 90 degrees clockwise before OCR: the scan is landscape, the word's box is
    turned back, and the text lies at 90 degrees on it."""
    page = _page()
    page.rotation = 90  # PageResult.rotation, when orientation detection has turned the page
    root = etree.fromstring(alto_xml(_doc(page)))
    assert schema().validate(root), schema().error_log
    alto_page = root.find(f".//{A}Page")
    assert (alto_page.get("WIDTH"), alto_page.get("HEIGHT")) == ("2000", "1000")
    string = root.find(f".//{A}String")
    assert box_of(string) == (200, 700, 250, 900)  # x from the upright y, y from width - x
    assert string.get("CONTENT") == "Định" and string.get("WC") == "0.75"
    assert root.find(f".//{A}TextBlock").get("ROTATION") == "90"
    assert [t.get("LABEL") for t in root.iter(f"{A}OtherTag")] == ["SỞ NỘI VỤ", "Như trên", "Lưu: VT"]


def test_a_deskewed_page_maps_boxes_back_through_the_deskew_and_a_failed_page_is_missing() -> None:
    page = _page(preprocess=["deskew"], deskew_angle=2.0)
    failed = PageResult.failed(1, "Tesseract timed out after 180 s")
    doc = _doc(page, failed)
    doc.status = Status.PARTIAL
    root = etree.fromstring(alto_xml(doc))
    assert schema().validate(root), schema().error_log
    first, second = root.findall(f".//{A}Page")
    # The word's centre (200, 225) on the deskewed page, turned back by 2 degrees about the page centre.
    angle = math.radians(2.0)
    dx, dy = 200 - 500, 225 - 1000
    expected = (
        500 + dx * math.cos(angle) + dy * math.sin(angle),
        1000 - dx * math.sin(angle) + dy * math.cos(angle),
    )
    assert math.dist(centre(box_of(first.find(f".//{A}String"))), expected) < 1.5
    assert first.find(f".//{A}TextBlock").get("ROTATION") == "2"
    assert second.get("QUALITY") == "Missing" and "timed out" in second.get("QUALITY_DETAIL")
    assert second.find(f"{A}PrintSpace") is None
    html = etree.fromstring(hocr_xml(doc))
    assert len(html.findall(f".//{H}div[@class='ocr_page']")) == 2
    assert html.find(f".//{H}span[@class='ocr_line']").get("title").endswith("textangle 2")


def test_the_shipped_schema_compiles_offline_from_its_own_folder() -> None:
    text = Path(SCHEMA_FILE).read_text(encoding="utf-8")
    assert 'schemaLocation="xlink.xsd"' in text and "http://www.loc.gov/standards/xlink" not in text
    assert (Path(SCHEMA_FILE).parent / "xlink.xsd").is_file()
    schema()  # compiles with the network forbidden
