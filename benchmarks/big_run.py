"""A big run: 10,000 documents through ``sohoa run`` on the local pool and on a Dask LocalCluster.

Inputs (made once in ``--work``/inputs, reused afterwards):
  * text dumps, in folders of 1,000: plans of invented offices, written here from templates (issuers,
    places, dates, campaigns and sentences are drawn from the lists below, so every dump is a different
    document); one in six has lost its diacritics, as dumps of OCR engines without Vietnamese have;
  * scanned PDFs: the plans of scripts/sample_sources/ rendered by devtools.synth at 300 dpi with scan or
    photocopy damage, a different seed each, ``--pages`` pages in all.

Each executor runs the real command line (``nice``-d: the machine is shared) into its own fresh output
folder, and while it runs the resident memory of every worker process is sampled, so "flat" can be
checked: the figures printed are each worker's memory after the first tenth of the run and at its end,
and its peak (``run.json``). Afterwards, on the finished folder:
  * the tables rebuilt from the run ledger (``export.write_tables`` over ``Manifest.summaries``), timed;
  * ``load_results(OUT)`` timed in a fresh process (the import of pandas and the package not counted);
  * ``sohoa report OUT`` timed, with the size of ``report/index.html`` and the rows it renders at once.

Usage:
    .venv/bin/python benchmarks/big_run.py [--docs 10000] [--pages 250] [--workers 2]
        [--executors local dask] [--work DIR] [--generate-only] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCES = ROOT / "scripts" / "sample_sources"
SOHOA = ROOT / ".venv" / "bin" / "sohoa"
PYTHON = ROOT / ".venv" / "bin" / "python"
DUMPS_PER_FOLDER = 1000

PROVINCES = (
    "Bình Định",
    "Quảng Trị",
    "Nghệ An",
    "Lâm Đồng",
    "An Giang",
    "Thái Bình",
    "Hà Tĩnh",
    "Phú Yên",
    "Kon Tum",
    "Bắc Giang",
    "Sóc Trăng",
    "Yên Bái",
    "Tây Ninh",
    "Quảng Ngãi",
    "Lạng Sơn",
    "Đồng Tháp",
)
AGENCIES = (
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "GIÁM ĐỐC"),
    ("SỞ Y TẾ", "SYT", "GIÁM ĐỐC"),
    ("SỞ NỘI VỤ", "SNV", "GIÁM ĐỐC"),
    ("SỞ TÀI CHÍNH", "STC", "GIÁM ĐỐC"),
    ("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "SNN", "GIÁM ĐỐC"),
    ("BAN THI ĐUA - KHEN THƯỞNG", "BTĐKT", "TRƯỞNG BAN"),
    ("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "SVHTTDL", "GIÁM ĐỐC"),
    ("SỞ GIAO THÔNG VẬN TẢI", "SGTVT", "GIÁM ĐỐC"),
)
CAMPAIGNS = (
    "Chung sức xây dựng nông thôn mới",
    "Cán bộ, công chức, viên chức thi đua thực hiện văn hóa công sở",
    "Đổi mới, sáng tạo trong dạy và học",
    "Dân vận khéo",
    "Cả nước chung tay vì người nghèo - Không để ai bị bỏ lại phía sau",
    "Thi đua chuyển đổi số, cải cách hành chính",
    "Lao động giỏi, lao động sáng tạo",
    "Xanh - Sạch - Đẹp, bảo đảm an toàn giao thông",
)
PERIODS = ("năm {y}", "giai đoạn {y} - {y2}", "năm học {y} - {y1}")
SUBJECTS = (
    "Cán bộ, công chức, viên chức và người lao động",
    "Các phòng, ban, đơn vị trực thuộc",
    "Thủ trưởng các cơ quan, đơn vị",
    "Các tập thể và cá nhân",
    "Công đoàn cơ sở và Đoàn thanh niên",
    "Hội đồng Thi đua - Khen thưởng các cấp",
)
VERBS = (
    "tích cực hưởng ứng",
    "đẩy mạnh",
    "tiếp tục thực hiện có hiệu quả",
    "nâng cao chất lượng",
    "chủ động triển khai",
    "quán triệt và tổ chức thực hiện",
    "phát huy tinh thần trách nhiệm trong",
    "tăng cường kiểm tra, giám sát việc thực hiện",
)
OBJECTS = (
    "công tác thi đua, khen thưởng",
    "cải cách hành chính và chuyển đổi số",
    "nhiệm vụ chính trị được giao",
    "các chỉ tiêu phát triển kinh tế - xã hội",
    "việc học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "công tác phòng, chống tham nhũng, tiêu cực",
    "phong trào thi đua yêu nước",
    "việc thực hành tiết kiệm, chống lãng phí",
    "chất lượng phục vụ người dân và doanh nghiệp",
)
ENDS = (
    "góp phần hoàn thành thắng lợi nhiệm vụ năm {y}",
    "tạo khí thế thi đua sôi nổi trong toàn ngành",
    "bảo đảm thiết thực, hiệu quả, tránh hình thức",
    "kịp thời phát hiện, biểu dương và nhân rộng các điển hình tiên tiến",
    "gắn với việc đánh giá, xếp loại cuối năm",
)
SIGNERS = (
    "Nguyễn Văn An",
    "Trần Thị Bích",
    "Lê Quang Hùng",
    "Phạm Minh Tuấn",
    "Hoàng Thị Lan",
    "Võ Đức Thắng",
    "Đặng Thu Hà",
    "Bùi Xuân Trường",
    "Huỳnh Ngọc Mai",
    "Đỗ Thành Công",
)
TITLES = ("Tổ chức phong trào thi đua", "Phát động phong trào thi đua", "Triển khai phong trào thi đua")


def _sentence(rng: random.Random, year: int) -> str:
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}, "
        f"{rng.choice(ENDS).format(y=year)}."
    )


def plan_text(k: int) -> str:
    """An invented plan, different for every ``k``: header, title, grounds, numbered sections, signature."""
    rng = random.Random(f"plan-{k}")
    province = rng.choice(PROVINCES)
    agency, code, head = rng.choice(AGENCIES)
    year = 2015 + k % 11
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    period = rng.choice(PERIODS).format(y=year, y1=year + 1, y2=year + rng.choice((2, 4)))
    lines = [
        f"UBND TỈNH {province.upper()}",
        agency,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"Số: {rng.randint(1, 400)}/KH-{code}",
        f"{province}, ngày {day:02d} tháng {month:02d} năm {year}",
        "KẾ HOẠCH",
        f'{rng.choice(TITLES)} "{rng.choice(CAMPAIGNS)}" {period}',
        "Căn cứ Luật Thi đua, khen thưởng;",
        f"Căn cứ Kế hoạch số {rng.randint(1, 300)}/KH-UBND ngày {rng.randint(1, 28)} tháng "
        f"{rng.randint(1, 12)} năm {year} của Ủy ban nhân dân tỉnh;",
        f"{agency.capitalize()} xây dựng Kế hoạch như sau:",
    ]
    sections = (
        ("I. MỤC ĐÍCH, YÊU CẦU", ("1. Mục đích", "2. Yêu cầu")),
        ("II. NỘI DUNG THI ĐUA", tuple(f"{i}. Thi đua {rng.choice(OBJECTS)}" for i in (1, 2, 3))),
        ("III. HÌNH THỨC VÀ TIÊU CHUẨN KHEN THƯỞNG", ()),
        ("IV. TỔ CHỨC THỰC HIỆN", ("1. Văn phòng", "2. Các phòng, đơn vị")),
    )
    for heading, subsections in sections:
        lines.append(heading)
        for sub in subsections or ("",):
            if sub:
                lines.append(sub)
            lines.extend(f"- {_sentence(rng, year)}" for _ in range(rng.randint(1, 2)))
    signer = rng.choice(SIGNERS)
    lines += ["Nơi nhận:", "- UBND tỉnh;", "- Ban Thi đua - Khen thưởng tỉnh;", "- Lưu: VT.", f"KT. {head}"]
    lines += [f"PHÓ {head}", signer]
    text = "\n".join(lines) + "\n"
    return strip_marks(text) if k % 6 == 5 else text


def strip_marks(text: str) -> str:
    """Vietnamese without diacritics (đ as d), as dumps of OCR engines without the language."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def generate(inputs: Path, n_docs: int, n_pages: int) -> tuple[int, int, int]:
    """Write the inputs (kept when a complete set of the same size is there); returns (dumps, PDFs, pages)."""
    stamp = inputs / ".complete"
    if stamp.exists():
        return tuple(json.loads(stamp.read_text()))
    shutil.rmtree(inputs, ignore_errors=True)
    n_pdfs, pages = _scans(inputs / "scans", n_pages)
    n_dumps = n_docs - n_pdfs
    for k in range(n_dumps):
        folder = inputs / "dumps" / f"{k // DUMPS_PER_FOLDER:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"ke_hoach_{k:05d}.txt").write_text(plan_text(k), encoding="utf-8")
    counts = (n_dumps, n_pdfs, pages)
    stamp.write_text(json.dumps(counts))
    return counts


def _scans(folder: Path, n_pages: int) -> tuple[int, int]:
    from devtools.synth import load_source
    from devtools.synth.archive import level_conditions, make_document
    from devtools.synth.pdf import write_pdf

    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SOURCES.glob("*.txt"))
    done = variant = 0
    while done < n_pages:
        path = sources[variant % len(sources)]
        level = ("scan", "photocopy")[variant // len(sources) % 2]
        conditions = replace(level_conditions(level), dpi=300)
        doc = make_document(
            load_source(path), conditions, seed=500 + variant, degrade_seed=90000 + 100 * variant
        )
        pages = doc.pages[: n_pages - done]
        write_pdf(pages, folder / f"{path.stem}_{level}_{variant:03d}.pdf", dpi=300)
        done += len(pages)
        variant += 1
    return variant, done


class MemorySampler(threading.Thread):
    """Samples the resident memory of every process under ``pid`` (the workers) every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        started = time.perf_counter()
        while not self.stop.wait(self.every):
            try:
                children = psutil.Process(self.pid).children(recursive=True)
            except psutil.Error:
                return
            rss = {}
            for child in children:
                try:
                    if "python" in child.name() or "sohoa" in " ".join(child.cmdline()[:2]):
                        rss[child.pid] = child.memory_info().rss / 2**20
                except psutil.Error:
                    continue
            self.samples.append((time.perf_counter() - started, rss))


def run(inputs: Path, out: Path, executor: str, workers: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    command = ["nice", str(SOHOA), "run", str(inputs), "-o", str(out), "--workers", str(workers)]
    command += ["--executor", executor, "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop.set()
    if process.returncode not in (0, 1):
        raise SystemExit(f"sohoa run ({executor}) exited {process.returncode}:\n{stderr[-3000:]}")
    stats = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return {"seconds": seconds, "run": stats, "memory": _memory_profile(sampler.samples)}


def _memory_profile(samples: list[tuple[float, dict[int, float]]]) -> dict:
    """Per worker process: resident MB after the first tenth of the run, at the last sample, and the
    largest; the biggest processes only (workers; the Dask nannies and the main process are smaller or
    listed apart in run.json)."""
    if not samples:
        return {}
    end = samples[-1][0]
    per_pid: dict[int, list[tuple[float, float]]] = {}
    for at, rss in samples:
        for pid, mb in rss.items():
            per_pid.setdefault(pid, []).append((at, mb))
    profile = {}
    for pid, series in per_pid.items():
        early = [mb for at, mb in series if at >= 0.1 * end] or [series[-1][1]]
        profile[pid] = {"at_10pct_mb": round(early[0]), "last_mb": round(series[-1][1])}
        profile[pid]["max_mb"] = round(max(mb for _, mb in series))
        profile[pid]["samples"] = len(series)
    return profile


def measure(out: Path) -> dict:
    """Table rebuild, load_results and the report on a finished output folder."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.batch.manifest import Manifest\n"
        "from pipeline.outputs import export\n"
        "from pipeline.results import load_results\n"
        "out = Path(sys.argv[1])\n"
        "t = time.perf_counter()\n"
        "with Manifest(out, json.loads((out / 'run.json').read_text())['options']['fingerprint']) as m:\n"
        "    counts = export.write_tables(out, m.summaries())\n"
        "rebuild = time.perf_counter() - t\n"
        "t = time.perf_counter(); res = load_results(out); load = time.perf_counter() - t\n"
        "t = time.perf_counter(); terms = res.terms; load_terms = time.perf_counter() - t\n"
        "print(json.dumps({'rebuild_s': rebuild, 'rows': counts, 'load_results_s': load,\n"
        "    'terms_s': load_terms, 'documents': len(res.documents), 'sections': len(res.sections),\n"
        "    'terms': len(terms)}))\n"
    )
    done = subprocess.run([str(PYTHON), "-c", code, str(out)], capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout)
    started = time.perf_counter()
    subprocess.run(["nice", str(SOHOA), "report", str(out)], capture_output=True, text=True, check=True)
    figures["report_s"] = time.perf_counter() - started
    index = out / "report" / "index.html"
    html = index.read_text(encoding="utf-8")
    figures["index_kb"] = round(len(html.encode()) / 1024)
    figures["index_rows_in_html"] = html.count("<tr data-doc=")
    for table in ("documents", "sections", "terms"):
        figures[f"{table}_parquet_kb"] = round((out / f"{table}.parquet").stat().st_size / 1024)
    return figures


def report(results: dict) -> None:
    print()
    for executor, result in results.items():
        stats = result["run"]
        print(
            f"{executor}: {result['seconds']:.0f} s wall; {stats['n_ok']} ok, {stats['n_partial']} partial, "
            f"{stats['n_error']} error; {stats['n_pages']} pages; main process peak "
            f"{stats['main_peak_rss_mb']:.0f} MB, {stats['main_cpu_seconds']:.0f} s CPU"
        )
        for name, worker in stats["workers"].items():
            print(
                f"  worker {name}: {worker['tasks']} tasks, peak {worker['peak_rss_mb']:.0f} MB, "
                f"{worker['cpu_seconds']:.0f} s CPU (+{worker['tesseract_cpu_seconds']:.0f} s Tesseract), "
                f"model loads {worker['model_loads']}"
            )
        for pid, memory in sorted(result["memory"].items(), key=lambda kv: -kv[1]["max_mb"]):
            print(
                f"  pid {pid}: {memory['at_10pct_mb']} MB at 10 % of the run, "
                f"{memory['last_mb']} MB at the end, max {memory['max_mb']} MB ({memory['samples']} samples)"
            )
        figures = result["after"]
        print(
            f"  tables rebuilt from the ledger in {figures['rebuild_s']:.1f} s ({figures['rows']} rows); "
            f"load_results {figures['load_results_s']:.2f} s (+ terms {figures['terms_s']:.2f} s); "
            f"sohoa report {figures['report_s']:.0f} s, index.html {figures['index_kb']} KB, "
            f"{figures['index_rows_in_html']} rows in its HTML"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=250, help="scanned pages (in PDFs of 1-3 pages)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", nargs="+", choices=("local", "dask"), default=["local", "dask"])
    parser.add_argument("--work", type=Path, default=ROOT / "work" / "big_run")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    inputs = args.work / "inputs"
    n_dumps, n_pdfs, n_pages = generate(inputs, args.docs, args.pages)
    print(f"inputs: {n_dumps + n_pdfs} documents ({n_dumps} text dumps, {n_pdfs} PDFs with {n_pages} pages)")
    if args.generate_only:
        return
    results = {}
    for executor in args.executors:
        out = args.work / f"out_{executor}"
        results[executor] = run(inputs, out, executor, args.workers)
        results[executor]["after"] = measure(out)
        print(f"{executor} done in {results[executor]['seconds']:.0f} s", flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    report(results)


if __name__ == "__main__":
    main()
