"""Inputs for the scale and reliability tests: many small documents, long PDFs, pages that misbehave.

All text is written here for the tests (invented units and sentences); pages are rendered by
``devtools.synth`` into real PDFs.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from devtools.synth import parse_source, render_document
from devtools.synth.pdf import write_pdf

UNITS = [
    "Phòng Tổ chức cán bộ",
    "Trung tâm Y tế huyện",
    "Trường Trung học cơ sở Hòa Bình",
    "Ban Quản lý dự án",
    "Chi cục Thủy lợi",
    "Văn phòng Sở",
    "Thanh tra tỉnh",
    "Đài Phát thanh và Truyền hình",
]
TASKS = [
    "hoàn thành tốt nhiệm vụ chuyên môn được giao",
    "đẩy mạnh cải cách hành chính và chuyển đổi số",
    "nâng cao chất lượng phục vụ người dân",
    "thực hành tiết kiệm, chống lãng phí",
    "xây dựng cơ quan văn hóa, an toàn",
]


def plan_dump(k: int) -> str:
    """A short legacy-style text dump (diacritics kept), different for every ``k``."""
    unit = UNITS[k % len(UNITS)]
    task = TASKS[k % len(TASKS)]
    return (
        f"Số: {100 + k}/KH-STĐKT\n"
        "KẾ HOẠCH\n"
        f"Phát động phong trào thi đua năm {2020 + k % 5} của {unit}\n"
        "I. MỤC ĐÍCH, YÊU CẦU\n"
        f"Động viên cán bộ, công chức và người lao động thi đua {task}.\n"
        "II. NỘI DUNG THI ĐUA\n"
        f"Mỗi tập thể đăng ký ít nhất {k % 4 + 2} sáng kiến và báo cáo kết quả trước ngày {k % 27 + 1} "
        "tháng 11.\n"
        "III. TỔ CHỨC THỰC HIỆN\n"
        "Các đơn vị căn cứ kế hoạch này để triển khai thực hiện.\n"
    )


def multipage_pdf(path: Path, lines_per_page: list[list[str]], *, dpi: int = 150, seed: int = 0) -> Path:
    """A clean scanned PDF with one page per entry of ``lines_per_page`` (bold first line per page)."""
    body = ["[body]"]
    for i, lines in enumerate(lines_per_page):
        if i:
            body.append("@pagebreak")
        body.append("#b " + lines[0])
        body.extend(lines[1:])
    pages = render_document(parse_source("\n".join(body), path.stem), dpi=dpi, seed=seed)
    write_pdf(pages, path, dpi=dpi)
    return path


def report_pages(n: int, title: str) -> list[list[str]]:
    """``n`` pages of an invented monthly report, two lines each."""
    return [
        [
            f"{title}: trang {i + 1}, kết quả thi đua của đơn vị số {i + 1}",
            "Các phòng chuyên môn tổng hợp số liệu và gửi về văn phòng trước ngày mười lăm hằng tháng.",
        ]
        for i in range(n)
    ]


# Words printed on a page to make the fake Tesseract below misbehave on exactly that page.
HANG_WORD = "QQHANGQQ"
CRASH_WORD = "QQCRASHQQ"
KILL_WORKER_WORD = "QQKILLQQ"

_FAKE_TESSERACT = """#!{python}
# Fault injection for the tests: runs the real Tesseract, then misbehaves on pages showing a trigger word:
# hangs ({hang}), dies of a segfault ({crash}), or kills the worker process that called it ({kill}).
import os, signal, subprocess, sys, time
real = subprocess.run([{real!r}, *sys.argv[1:]])
outputs = [sys.argv[2] + ext for ext in (".tsv", ".txt", ".hocr")] if len(sys.argv) > 2 else []
text = "".join(open(p, encoding="utf-8", errors="replace").read() for p in outputs if os.path.exists(p))
if {hang!r} in text:
    time.sleep(600)
if {crash!r} in text:
    os.kill(os.getpid(), signal.SIGSEGV)
if {kill!r} in text:
    os.kill(os.getppid(), signal.SIGKILL)
sys.exit(real.returncode)
"""


def fake_tesseract_dir(folder: Path, real_tesseract: str) -> Path:
    """A folder with a ``tesseract`` wrapping the real one with the faults above; put it first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "tesseract"
    script.write_text(
        _FAKE_TESSERACT.format(
            python=sys.executable,
            real=real_tesseract,
            hang=HANG_WORD,
            crash=CRASH_WORD,
            kill=KILL_WORKER_WORD,
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def env_with_path_first(folder: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "200"}
