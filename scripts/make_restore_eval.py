"""Make restoration test material of our own: generated plans and signer blocks, rendered, scanned and
read with ``tesseract -l eng`` (the garble of the archive's legacy OCR, like ../shared/seeds/001_*).

WHY: the restoration benchmark needs legacy-OCR text whose truth is known, in the style of the real
archive (English-model OCR of photocopied provincial plans), and a person-name test: signer blocks whose
names are composed at random from the name lexicon (surname + middle + given, by their frequencies).
Every sentence here is written for this project (templates with random offices, places, numbers, dates
and names); nothing comes from the corpus or the seeds.

Each plan is rendered with ``devtools.synth``, degraded (scan or photocopy) and every block of every page
(header columns, body, recipients, signer block) is OCR'd on its own with ``tesseract -l eng --psm 6``,
so the OCR text follows the truth's reading order. Output in ``--out`` (default
tests/data/restore/eval): ``plans/<id>.ocr.txt`` + ``plans/<id>.gold.txt`` and ``signers.tsv``
(id, level, gold name, OCR of the signer block with ``\\n`` escaped, gold block likewise).

Two disjoint seed ranges: ``--split dev`` (for development, written to work/ by default) and
``--split heldout`` (the benchmark's; never tuned on). Usage:

    python scripts/make_restore_eval.py --split heldout --plans 24 --signers 240
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.synth import parse_source  # noqa: E402
from devtools.synth.degrade import degrade  # noqa: E402
from devtools.synth.render import render_pages, truth_pages  # noqa: E402
from pipeline.resources import DICTIONARIES  # noqa: E402
from pipeline.restore.lexicon import read_rows  # noqa: E402

SEEDS = {"dev": 10_000, "heldout": 50_000}

FIELDS = {
    "Nội vụ": "SNV", "Tư pháp": "STP", "Kế hoạch và Đầu tư": "SKHĐT", "Tài chính": "STC",
    "Công Thương": "SCT", "Nông nghiệp và Phát triển nông thôn": "SNN", "Giao thông vận tải": "SGTVT",
    "Xây dựng": "SXD", "Tài nguyên và Môi trường": "STNMT", "Thông tin và Truyền thông": "STTTT",
    "Lao động - Thương binh và Xã hội": "SLĐTBXH", "Văn hóa, Thể thao và Du lịch": "SVHTTDL",
    "Khoa học và Công nghệ": "SKHCN", "Giáo dục và Đào tạo": "SGDĐT", "Y tế": "SYT",
}  # fmt: skip
SIGNER_TITLES = [
    ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), ("GIÁM ĐỐC",), ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
    ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), ("TRƯỞNG BAN",), ("KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"),
]  # fmt: skip
CAMPAIGNS = [
    "Chung tay xây dựng nông thôn mới", "Cả nước chung tay vì người nghèo", "Dân vận khéo",
    "Đẩy mạnh cải cách hành chính, nâng cao chất lượng phục vụ người dân",
    "Thi đua thực hiện văn hóa công sở", "Chung sức phòng, chống dịch bệnh",
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh", "Đổi mới, sáng tạo trong dạy và học",
    "Xanh - Sạch - Đẹp nơi làm việc", "Chuyển đổi số vì người dân và doanh nghiệp",
    "Vì an ninh Tổ quốc", "Thi đua đặc biệt lập thành tích chào mừng đại hội",
]  # fmt: skip
# Sentences written for this generator, in the style of provincial emulation plans.
OPENINGS = [
    "Thực hiện Kế hoạch số {n2}/KH-UBND ngày {d2} của Ủy ban nhân dân tỉnh {province} về việc tổ chức "
    "Phong trào thi đua “{campaign}”, {office} ban hành Kế hoạch triển khai thực hiện như sau:",
    "Căn cứ Luật Thi đua, khen thưởng năm 2022; căn cứ Hướng dẫn số {n2}/HD-BTĐKT ngày {d2} của Ban Thi "
    "đua - Khen thưởng tỉnh {province}, {office} xây dựng Kế hoạch với các nội dung sau:",
    "Nhằm cụ thể hóa các chỉ tiêu của Phong trào thi đua “{campaign}” giai đoạn {period}, {office} xây "
    "dựng Kế hoạch tổ chức thực hiện trong toàn ngành như sau:",
]
AIMS = [
    "Phát huy tinh thần trách nhiệm, tính chủ động, sáng tạo của cán bộ, công chức, viên chức và người "
    "lao động trong việc thực hiện nhiệm vụ chính trị được giao.",
    "Tạo sự chuyển biến rõ rệt về nhận thức và hành động của mỗi tập thể, cá nhân đối với công tác thi đua, "
    "khen thưởng.",
    "Kịp thời phát hiện, bồi dưỡng và nhân rộng các điển hình tiên tiến, các mô hình hay, cách làm hiệu "
    "quả trên địa bàn tỉnh.",
    "Gắn việc tổ chức phong trào với việc thực hiện các chỉ tiêu phát triển kinh tế - xã hội của địa "
    "phương, bảo đảm thiết thực, tiết kiệm, tránh phô trương, hình thức.",
    "Việc đánh giá, bình xét khen thưởng phải công khai, dân chủ, đúng người, đúng thành tích và đúng "
    "quy định của pháp luật.",
    "Các phòng, đơn vị đăng ký giao ước thi đua với nội dung cụ thể, chỉ tiêu rõ ràng, phù hợp với chức "
    "năng, nhiệm vụ của mình.",
]
CONTENTS = [
    "Thi đua hoàn thành xuất sắc nhiệm vụ chuyên môn, phấn đấu đạt và vượt các chỉ tiêu kế hoạch năm {year}.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, thực hiện dịch vụ công trực tuyến toàn trình; phấn đấu trên "
    "{pct}% hồ sơ được giải quyết đúng hạn.",
    "Tuyên truyền sâu rộng mục đích, ý nghĩa của phong trào đến từng cán bộ, đảng viên và nhân dân trên "
    "địa bàn.",
    "Thực hiện tốt công tác cải cách hành chính, siết chặt kỷ luật, kỷ cương hành chính; không để xảy ra "
    "tình trạng nhũng nhiễu, gây phiền hà cho người dân.",
    "Huy động các nguồn lực xã hội tham gia hỗ trợ hộ nghèo, hộ cận nghèo cải thiện điều kiện sống, "
    "phát triển sản xuất.",
    "Tổ chức các hoạt động giao lưu, tọa đàm, trao đổi kinh nghiệm giữa các đơn vị trong và ngoài tỉnh.",
    "Đăng ký và thực hiện ít nhất {small} sáng kiến, giải pháp cải tiến được Hội đồng sáng kiến công nhận.",
    "Quan tâm chăm lo đời sống vật chất, tinh thần của người lao động; xây dựng cơ quan, đơn vị an toàn, "
    "văn minh.",
]
REWARDS = [
    "Hằng năm, {office} lựa chọn các tập thể, cá nhân tiêu biểu để tặng Giấy khen theo quy định.",
    "Kết thúc giai đoạn, đề nghị Chủ tịch Ủy ban nhân dân tỉnh {province} tặng Bằng khen cho các tập thể, "
    "cá nhân có thành tích xuất sắc.",
    "Tiêu chuẩn khen thưởng thực hiện theo Luật Thi đua, khen thưởng và các văn bản hướng dẫn hiện hành.",
]
DUTIES = [
    "Văn phòng {office_short} là cơ quan thường trực, có trách nhiệm theo dõi, đôn đốc, tổng hợp kết quả "
    "và tham mưu sơ kết, tổng kết phong trào.",
    "Thủ trưởng các phòng, đơn vị trực thuộc xây dựng kế hoạch cụ thể và báo cáo kết quả về {office} "
    "trước ngày {day} tháng {month} hằng năm.",
    "Giao {title_word} {person}, Phó Giám đốc, trực tiếp chỉ đạo việc triển khai thực hiện Kế hoạch này.",
    "Công đoàn cơ sở phối hợp phát động các đợt thi đua ngắn ngày, gắn với các ngày lễ lớn của đất nước.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị phản ánh về {office} để xem xét, "
    "giải quyết./.",
]


class NamePool:
    """Random personal names composed from the name lexicon, by its frequencies."""

    def __init__(self, rng: random.Random) -> None:
        rows = read_rows(DICTIONARIES / "names.tsv")
        self.rng = rng
        self.pools = {k: [(f, n) for f, kind, n in rows if kind == k] for k in ("surname", "middle", "given")}
        female = {f.split()[1] for f, kind, _n in rows if kind == "pair" and f.startswith("Thị ")}
        self.female = [(f, n) for f, n in self.pools["given"] if f in female]

    def _pick(self, pool: list[tuple[str, float]]) -> str:
        forms, weights = zip(*pool, strict=True)
        return self.rng.choices(forms, weights)[0]

    def name(self) -> str:
        surname = self._pick(self.pools["surname"])
        middle = self._pick(self.pools["middle"])
        given = self._pick(self.female if middle == "Thị" and self.female else self.pools["given"])
        if self.rng.random() < 0.15 and middle in ("Thị", "Văn"):
            return f"{surname} {middle} {self._pick(self.pools['middle'])} {given}"
        return f"{surname} {middle} {given}"


def _fill(template: str, ctx: dict[str, str], rng: random.Random) -> str:
    values = dict(ctx)
    values.update(
        n2=str(rng.randint(12, 2400)),
        d2=f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{ctx['year']}",
        pct=str(rng.choice([85, 90, 95, 98])),
        small=str(rng.randint(2, 6)),
        day=str(rng.randint(5, 28)),
        month=str(rng.randint(6, 12)),
    )
    return template.format(**values)


def plan_source(doc_id: str, rng: random.Random, names: NamePool, provinces: list[str]) -> tuple[str, str]:
    """A plan in the marked-up source format and its signer's name."""
    province = rng.choice(provinces)
    field, abbr = rng.choice(list(FIELDS.items()))
    year = rng.randint(2018, 2024)
    signer = names.name()
    ctx = {
        "province": province,
        "office": f"Sở {field}",
        "office_short": "Sở",
        "campaign": rng.choice(CAMPAIGNS),
        "year": str(year),
        "period": f"{year} - {year + rng.choice([2, 3, 5])}",
        "person": signer if rng.random() < 0.5 else names.name(),
        "title_word": rng.choice(["ông", "bà", "đồng chí"]),
    }
    titles = rng.choice(SIGNER_TITLES[:2])
    out = [
        f"[meta]\nid = {doc_id}\n[header-left]\nUBND TỈNH {province.upper()}\n#bu SỞ {field.upper()}",
        f"@space 4\nSố: {rng.randint(10, 999)}/KH-{abbr}\n[header-right]",
        "#b12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n#bu Độc lập - Tự do - Hạnh phúc\n@space 4",
        f"#i {province}, ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {year}\n[body]",
        "#cb KẾ HOẠCH",
        f"#cb Triển khai Phong trào thi đua “{ctx['campaign']}” giai đoạn {ctx['period']}\n@rule\n@space 6",
        _fill(rng.choice(OPENINGS), ctx, rng),
        "#b I. MỤC ĐÍCH, YÊU CẦU",
    ]
    out += [f"{i + 1}. " + _fill(s, ctx, rng) for i, s in enumerate(rng.sample(AIMS, 3))]
    out.append("#b II. NỘI DUNG THI ĐUA")
    out += [f"{i + 1}. " + _fill(s, ctx, rng) for i, s in enumerate(rng.sample(CONTENTS, 4))]
    out.append("#b III. KHEN THƯỞNG")
    out += ["- " + _fill(s, ctx, rng) for s in rng.sample(REWARDS, 2)]
    out.append("#b IV. TỔ CHỨC THỰC HIỆN")
    out += [f"{i + 1}. " + _fill(s, ctx, rng) for i, s in enumerate(DUTIES[:1] + rng.sample(DUTIES[1:], 3))]
    out += [
        "[footer-left]\n#bi Nơi nhận:\n#s - Ban Thi đua - Khen thưởng tỉnh;\n#s - Lãnh đạo Sở;",
        "#s - Các phòng, đơn vị thuộc Sở;\n#s - Lưu: VT, VP.\n[footer-right]",
        "\n".join(f"#b {t}" for t in titles),
        f"@seal SỞ {field.upper()} * TỈNH {province.upper()} *\n@signature\n#b {signer}",
    ]
    return "\n".join(out) + "\n", signer


def signer_source(doc_id: str, rng: random.Random, name: str) -> str:
    titles = rng.choice(SIGNER_TITLES)
    lines = "\n".join(f"#b {t}" for t in titles)
    seal = "@seal ỦY BAN NHÂN DÂN * TỈNH *\n" if rng.random() < 0.5 else ""
    return f"[meta]\nid = {doc_id}\n[footer-right]\n{lines}\n{seal}@signature\n#b {name}\n"


def ocr_block(image: Image.Image, box: tuple[int, int, int, int], tmp: Path) -> list[str]:
    """``tesseract -l eng --psm 6`` of one block of a page (single-threaded), as lines."""
    pad = round(0.1 * image.info.get("dpi", (300, 300))[0])  # a tenth of an inch: skew and ink spread
    x0, y0, x1, y1 = box
    crop = image.crop((max(0, x0 - pad), max(0, y0 - pad), x1 + 2 * pad, y1 + pad))
    path = tmp / "block.png"
    crop.save(path)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    out = subprocess.run(
        ["tesseract", str(path), "stdout", "-l", "eng", "--psm", "6"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return [line for line in out.splitlines() if line.strip()]


def scan_and_read(
    source_text: str, seed: int, level: str, tmp: Path, only: str | None = None
) -> tuple[list[str], list[str]]:
    """Render, degrade and OCR every block (or only the block ``only``, degrading just its region);
    returns (ocr lines, truth lines)."""
    source = parse_source(source_text)
    ocr: list[str] = []
    truth: list[str] = []
    dpi = 300 if level == "scan" else random.Random(seed).choice([200, 300])
    for number, page in enumerate(render_pages(source, dpi=dpi, seed=seed)):
        image, top = page.image, 0
        if only is not None:  # degrade just the block's strip of the page: much faster
            lines = page.line_boxes(only)
            top = max(0, min(b[1] for _, b in lines) - dpi // 2)
            image = image.crop((0, top, image.width, max(b[3] for _, b in lines) + dpi // 2))
            image.info["dpi"] = (dpi, dpi)
        image = degrade(image, level, seed + number).convert("L")
        for block in ("header-left", "header-right", "body", "footer-left", "footer-right"):
            lines = page.line_boxes(block)
            if not lines or only not in (None, block):
                continue
            box = (
                min(b[0] for _, b in lines),
                min(b[1] for _, b in lines) - top,
                max(b[2] for _, b in lines),
                max(b[3] for _, b in lines) - top,
            )
            ocr += ocr_block(image, box, tmp)
            truth += [text for text, _ in lines]
    assert "\n".join(truth).split() == "\n".join(truth_pages(source)).split()
    return ocr, truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(SEEDS), default="dev")
    ap.add_argument("--plans", type=int, default=12)
    ap.add_argument("--signers", type=int, default=120)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    default = REPO / "tests" / "data" / "restore" / "eval" if args.split == "heldout" else None
    out = args.out or default or REPO / "work" / "restore_dev"
    (out / "plans").mkdir(parents=True, exist_ok=True)
    base = SEEDS[args.split]
    rng = random.Random(base)
    names = NamePool(random.Random(base + 1))
    provinces = [f for f, kind, _n in read_rows(DICTIONARIES / "names.tsv") if kind == "province"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for i in range(args.plans):
            level = "photocopy" if i % 2 else "scan"
            doc_id = f"plan_{args.split}_{i:03d}_{level}"
            text, _signer = plan_source(doc_id, rng, names, provinces)
            ocr, truth = scan_and_read(text, base + 100 * i, level, tmp)
            (out / "plans" / f"{doc_id}.ocr.txt").write_text("\n".join(ocr) + "\n", encoding="utf-8")
            (out / "plans" / f"{doc_id}.gold.txt").write_text("\n".join(truth) + "\n", encoding="utf-8")
            print(f"{doc_id}: {len(truth)} lines ({level})", flush=True)
        rows = []
        for i in range(args.signers):
            doc_id = f"signer_{args.split}_{i:03d}"
            name = names.name()
            level = "photocopy" if i % 2 else "scan"
            source = signer_source(doc_id, rng, name)
            ocr, truth = scan_and_read(source, base + 7 * i + 3, level, tmp, only="footer-right")
            esc = "\\n"
            rows.append(f"{doc_id}\t{level}\t{name}\t{esc.join(ocr)}\t{esc.join(truth)}")
            if i % 20 == 0:
                print(f"{doc_id}: {name!r} -> {ocr!r}", flush=True)
    header = "# id\tlevel\tgold name\tOCR lines (\\n-joined)\tgold lines (\\n-joined)\n"
    (out / "signers.tsv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
