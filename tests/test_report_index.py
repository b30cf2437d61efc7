"""The report's index of a big run: rows travel as JSON and the browser shows one page of them at a time."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.outputs.report import pages
from tests.test_report import chromium


def _rows(n: int) -> list[dict]:
    return [
        {
            "doc_id": f"d{k:05d}",
            "source_path": f"/archive/ke_hoach_{k:05d}.txt",
            "status": "error" if k % 50 == 0 else "ok",
            "error": "empty file" if k % 50 == 0 else None,
            "issuer": "SỞ NỘI VỤ" if k % 3 else "SỞ Y TẾ",
            "title": f"Kế hoạch thi đua số {k}",
            "n_pages": k % 7,
            "n_low_confidence_tokens": (k * 37) % 101 if k % 50 else None,
        }
        for k in range(n)
    ]


def _shown(dom: str) -> tuple[list[str], str, str]:
    rows = re.findall(r'<tr data-doc="(d\d+)"', dom)
    count = re.search(r'<span id="count">([^<]*)</span>', dom).group(1)
    label = re.search(r'<span id="page">([^<]*)</span>', dom).group(1)
    return rows, count, label


def test_ten_thousand_documents_are_paged(tmp_path: Path) -> None:
    rows = _rows(10_000)
    html = pages.index_page(rows, "big <run>")
    # The HTML holds the first page of rows and the data of all of them, not 10,000 table rows.
    assert html.count("<tr data-doc=") == pages.INDEX_PAGE_SIZE
    data = json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', html).group(1))
    assert len(data) == 10_000 and len(html.encode()) < 3_000_000
    index = tmp_path / "index.html"
    index.write_text(html, encoding="utf-8")

    def view(fragment: str = "") -> tuple[list[str], str, str]:
        return _shown(chromium(tmp_path, "--dump-dom", index.as_uri() + fragment).stdout)

    shown, count, label = view()
    order = [row["doc_id"] for row in pages.review_order(rows)]
    assert shown == order[:100] and count == "10000 / 10000 documents" and label == "trang / page 1 / 100"
    shown, _, label = view("#page=3")
    assert shown == order[200:300] and label == "trang / page 3 / 100"
    shown, count, label = view("#status=error&page=2")
    assert count == "200 / 10000 documents" and label == "trang / page 2 / 2" and len(shown) == 100
    assert all(int(doc[1:]) % 50 == 0 for doc in shown)
    shown, count, _ = view("#sort=pages&q=y%20te")  # accent-insensitive filter, numeric sort
    assert count == "3334 / 10000 documents"
    assert [int(doc[1:]) % 7 for doc in shown] == sorted(int(doc[1:]) % 7 for doc in shown)
    assert all(int(doc[1:]) % 3 == 0 for doc in shown)


def test_markup_in_the_data_stays_text(tmp_path: Path) -> None:
    rows = _rows(3)
    rows[0]["title"] = '</script><script>document.title="owned"</script> & <b>'
    index = tmp_path / "index.html"
    index.write_text(pages.index_page(rows, "t"), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", index.as_uri()).stdout
    assert "<title>t</title>" in dom and "&lt;/script&gt;&lt;script&gt;" in dom
    assert _shown(dom)[1] == "3 / 3 documents"
