"""``sohoa review OUT``: the review report as a small local web app, where words and fields can be corrected.

It serves the pages of ``sohoa report`` (rendered afresh from the stored documents, with the page images the
report rendered) plus a small script: a click on a word of the restored text, or on a header field, opens a
box to type the right form; saving posts it to ``/api/corrections``, and
:func:`pipeline.outputs.corrections.correct` keeps it in ``OUT/corrections.jsonl`` and rewrites every
output of the document. Standard library only (``http.server``).

It listens on 127.0.0.1 only. Requests must name this server as their host (no DNS rebinding), and a save
must come from its own pages: same origin, a JSON body (so a form on another site cannot post it without a
preflight, which is never answered) and the random token the pages carry.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.errors import LockedError
from pipeline.logs import get_logger
from pipeline.outputs import corrections, export
from pipeline.outputs import report as report_site
from pipeline.outputs.report import pages

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
API = "/api/corrections"
MAX_BODY = 64 * 1024
_DOCUMENT_PAGE = re.compile(r"^/((?:path-)?[0-9a-f]{16})(?:-([0-9]+))?\.html$")
_IMAGE = re.compile(r"^/img/([0-9A-Za-z_-]+\.jpg)$")
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

log = get_logger()

EDITOR_CSS = """
.w,dd.f{cursor:text;border-radius:2px}
.w:hover,dd.f:hover{outline:2px solid #2a6fdb;outline-offset:1px}
dd.f:empty::before{content:"— (thêm / add)";color:#999}
.review-banner{background:#fff6d6;border:1px solid #e0c060;padding:.4em .8em;margin:0 0 .8em}
#editor{position:absolute;z-index:10;background:#fff;border:1px solid #24364b;border-radius:4px;
 box-shadow:0 4px 14px rgba(0,0,0,.25);padding:.5em .6em;font:14px system-ui,sans-serif;max-width:44em}
#editor .what{display:block;color:#555;font-size:12px;margin-bottom:.3em}
#editor input{font:16px "Noto Serif","Liberation Serif",serif;padding:.25em .4em;min-width:18em;width:100%;
 box-sizing:border-box;margin-bottom:.4em}
#editor button{font-size:14px;margin-right:.4em}
#editor .msg{color:#b3261e;margin-left:.3em}
#review-status{position:fixed;right:1em;bottom:1em;background:#1b6e2e;color:#fff;padding:.4em .8em;
 border-radius:4px;font:14px system-ui,sans-serif}
#review-status:empty{display:none}
"""

# The editor: one box, opened on a word (.w: data-l line, data-c column, data-o OCR reading) or a field
# (dd.f: data-field, data-value); Enter or the button saves, Escape cancels. The server answers with the
# value as stored, which replaces the element's text.
EDITOR_JS = """
(function(){
  var cfg=window.SOHOA_REVIEW, box=document.createElement('form'), target=null;
  box.id='editor'; box.hidden=true; box.setAttribute('autocomplete','off');
  box.innerHTML='<span class="what"></span><input name="value" spellcheck="false" aria-label="value">'+
    '<button type="submit">Lưu / Save</button><button type="button" class="cancel">Hủy / Cancel</button>'+
    '<span class="msg"></span>';
  document.body.appendChild(box);
  var input=box.querySelector('input'), what=box.querySelector('.what'), msg=box.querySelector('.msg');
  var status=document.createElement('div'); status.id='review-status'; status.setAttribute('role','status');
  document.body.appendChild(status);
  function current(el){
    if(el.dataset.field!==undefined) return el.dataset.value;
    return el.classList.contains('dropped') ? '' : el.textContent;  // struck through: restored as nothing
  }
  function open(el){
    target=el; input.value=current(el); msg.textContent='';
    what.textContent=el.dataset.field!==undefined ? 'Trường / field: '+el.dataset.field
      : 'Dòng / line '+(+el.dataset.l+1)+' · OCR: '+el.dataset.o;
    var r=el.getBoundingClientRect();
    box.style.left=Math.max(4,Math.min(window.scrollX+r.left,window.scrollX+window.innerWidth-360))+'px';
    box.style.top=(window.scrollY+r.bottom+6)+'px';
    box.hidden=false; input.focus(); input.select();
  }
  function close(){ box.hidden=true; target=null; }
  document.addEventListener('click',function(e){
    if(box.contains(e.target)) return;
    var el=e.target.closest('.w, dd.f');
    if(el){ e.preventDefault(); open(el); } else if(!box.hidden){ close(); }
  });
  box.querySelector('.cancel').addEventListener('click',close);
  box.addEventListener('keydown',function(e){ if(e.key==='Escape'){ close(); } });
  box.addEventListener('submit',function(e){
    e.preventDefault(); if(!target) return;
    var el=target, old=current(el), body={doc_id:cfg.doc, old:old, new:input.value};
    if(el.dataset.field!==undefined){ body.field=el.dataset.field; }
    else { body.line=+el.dataset.l; body.col=+el.dataset.c; body.ocr=el.dataset.o; }
    msg.textContent='…';
    fetch(cfg.api,{method:'POST',headers:{'Content-Type':'application/json','X-Sohoa-Token':cfg.token},
      body:JSON.stringify(body)})
    .then(function(r){ return r.json().then(function(j){ return {ok:r.ok, j:j}; }); })
    .then(function(res){
      if(!res.ok){ msg.textContent=res.j.error||'not saved'; return; }
      if(el.dataset.field!==undefined){ el.dataset.value=res.j.value; }
      el.textContent=res.j.shown; el.classList.add('corrected');
      el.classList.remove('low', 'dropped', 'doubt');
      el.title='sửa tay / corrected: '+old+' → '+res.j.shown;
      status.textContent='Đã lưu / saved: '+old+' → '+res.j.shown;
      close();
    })
    .catch(function(err){ msg.textContent='Chưa lưu / not saved: '+err; });
  });
})();
"""

BANNER = (
    '<p class="review-banner">Chế độ sửa / review mode: bấm vào một từ hoặc một trường để sửa, rồi Lưu. '
    "Click a word or a field, type the right form and save: it is kept in <code>corrections.jsonl</code> "
    "and applied to the text, the tables, ALTO and the PDF.</p>"
)


class PdfQueue:
    """Searchable PDFs made again after corrections, one at a time in a background thread, so that a save
    does not wait for OCRmyPDF (seconds per document). A marker ``OUT/pdf/.<doc_id>.stale`` stays until the
    document's PDF is made again: what a stopped server left undone is done when ``sohoa review`` starts."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = Path(out_dir) / "pdf"
        self.out_dir = Path(out_dir)
        self._pending: list[str] = []
        self._busy = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def marker(self, doc_id: str) -> Path:
        return self.folder / f".{doc_id}.stale"

    def request(self, doc_id: str) -> None:
        """Make the document's PDF again, if a run wrote one."""
        if not (self.folder / f"{doc_id}.pdf").is_file():
            return
        self.marker(doc_id).touch()
        with self._changed:
            if doc_id not in self._pending:
                self._pending.append(doc_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="sohoa-review-pdf", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def resume(self) -> int:
        """Queue the PDFs a stopped server left stale; returns how many."""
        stale = sorted(self.folder.glob(".*.stale")) if self.folder.is_dir() else []
        for marker in stale:
            self.request(marker.name[1 : -len(".stale")])
        return len(stale)

    def pending(self) -> int:
        with self._changed:
            return len(self._pending) + int(self._busy)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every requested PDF is made; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _work(self) -> None:
        from pipeline.batch.run import rewrite_pdf

        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
                doc_id, self._busy = self._pending.pop(0), True
            try:
                doc = export.read_result(self.out_dir, doc_id)  # as stored now, with every correction
                if doc is not None:
                    rewrite_pdf(self.out_dir, doc)
                with self._changed:
                    if doc_id not in self._pending:  # not corrected again meanwhile
                        self.marker(doc_id).unlink(missing_ok=True)
            except Exception:  # one PDF must not stop the others; the marker stays for the next start
                log.exception("review: the PDF of %s could not be made again", doc_id)
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()


class ReviewApp:
    """What the server does, without HTTP: pages, images and saving a correction."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.report_dir = self.out_dir / report_site.REPORT_DIR
        self.token = secrets.token_urlsafe(24)
        self._saving = threading.Lock()
        self.pdfs = PdfQueue(self.out_dir)

    def index(self) -> str:
        rows = report_site.review_rows(self.out_dir)
        return pages.index_page(rows, f"sohoa review — {self.out_dir.resolve().name}", notice=BANNER)

    def document(self, doc_id: str, part: int) -> str | None:
        doc = export.read_document(self.out_dir, doc_id)
        if doc is None:
            return None
        name = pages.document_file(doc_id, part)
        parts = dict(report_site.document_parts(self.out_dir, doc, editor=self._editor(doc_id)))
        html = parts.get(name)
        return None if html is None else html.replace("<main>", f"<main>{BANNER}", 1)

    def _editor(self, doc_id: str) -> str:
        config = json.dumps({"doc": doc_id, "token": self.token, "api": API})
        return (
            f"<style>{EDITOR_CSS}</style><script>window.SOHOA_REVIEW={config};</script>"
            f"<script>{EDITOR_JS}</script>"
        )

    def image(self, name: str) -> Path | None:
        path = self.report_dir / report_site.IMAGE_DIR / name
        return path if path.is_file() else None

    def save(self, payload: dict) -> dict:
        """Apply one correction posted by the editor; returns what to show. Raises CorrectionError."""
        correction = self._correction(payload)
        with self._saving:
            doc, missed = corrections.correct(self.out_dir, correction, pdf=False)
        self.pdfs.request(doc.doc_id)
        if missed and correction in missed:
            raise corrections.CorrectionError("the word was not found in the document")
        if correction.is_field:
            value = doc.fields.get(correction.field or "")
            shown = "" if value is None else str(value)
            return {"ok": True, "value": shown, "shown": shown}
        return {"ok": True, "value": correction.new, "shown": correction.new}

    def _correction(self, payload: dict) -> corrections.Correction:
        if not isinstance(payload, dict) or not isinstance(payload.get("new"), str):
            raise corrections.CorrectionError("a correction is a JSON object with doc_id and new")
        doc_id = str(payload.get("doc_id") or "")
        doc = export.read_result(self.out_dir, doc_id)
        if doc is None:
            raise corrections.CorrectionError(f"no document {doc_id!r}")
        common = {
            "document": doc_id,
            "old": str(payload.get("old") or ""),
            "when": corrections.now_iso(),
            "by": corrections.user_name(),
        }
        if payload.get("field") is not None:
            return corrections.Correction(new=payload["new"], field=str(payload["field"]), **common)
        try:
            line, col = int(payload["line"]), int(payload["col"])
        except (KeyError, TypeError, ValueError):
            raise corrections.CorrectionError("a word correction needs line and col") from None
        return corrections.Correction(
            new=" ".join(payload["new"].split()),
            page=corrections.page_of_line(doc, line),
            line=line,
            col=col,
            ocr=None if payload.get("ocr") is None else str(payload["ocr"]),
            **common,
        )


class ReviewServer(ThreadingHTTPServer):
    """The app on 127.0.0.1; ``port=0`` takes any free port (``server_port`` says which)."""

    daemon_threads = True

    def __init__(self, out_dir: Path, port: int = DEFAULT_PORT) -> None:
        self.app = ReviewApp(out_dir)
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}/"

    def allowed_hosts(self) -> set[str]:
        return {f"{name}:{self.server_port}" for name in (HOST, "localhost")}


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "sohoa-review"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        log.debug("review: " + format, *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if not self._host_ok():
            return
        path = urlsplit(self.path).path
        app = self.server.app
        if path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        if path in ("/", "/index.html"):
            return self._send(HTTPStatus.OK, app.index().encode("utf-8"), "text/html; charset=utf-8")
        page = _DOCUMENT_PAGE.match(path)
        if page:
            html = app.document(page.group(1), int(page.group(2) or 1))
            if html is not None:
                return self._send(HTTPStatus.OK, html.encode("utf-8"), "text/html; charset=utf-8")
        image = _IMAGE.match(path)
        found = app.image(image.group(1)) if image else None
        if found is not None:
            return self._send(HTTPStatus.OK, found.read_bytes(), "image/jpeg")
        self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            return
        if urlsplit(self.path).path != API:
            return self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        problem = self._refusal()
        if problem:
            return self._send_json(HTTPStatus.FORBIDDEN, {"error": problem})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": "a JSON body of at most 64 KiB"})
        try:
            payload = json.loads(self.rfile.read(length).decode("utf-8"))
            answer = self.server.app.save(payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": "not JSON"})
        except corrections.CorrectionError as exc:
            return self._send_json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)})
        except LockedError as exc:
            return self._send_json(HTTPStatus.CONFLICT, {"error": f"not saved: {exc}"})
        except Exception as exc:  # a full disk, a bug: the archivist is told, the server goes on
            log.exception("review: a correction could not be saved")
            return self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"not saved: {exc}"})
        self._send_json(HTTPStatus.OK, answer)

    def _host_ok(self) -> bool:
        if self.headers.get("Host") in self.server.allowed_hosts():
            return True
        self._send_json(HTTPStatus.MISDIRECTED_REQUEST, {"error": "this server answers to 127.0.0.1 only"})
        return False

    def _refusal(self) -> str | None:
        """Why a save is refused (not from this server's pages), or None."""
        origin = self.headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in self.server.allowed_hosts()}:
            return "cross-origin request"
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return "the body must be application/json"
        given = (self.headers.get("X-Sohoa-Token") or "").encode("utf-8", "surrogateescape")
        if not secrets.compare_digest(given, self.server.app.token.encode("ascii")):
            return "missing or wrong token: reload the page"
        return None

    def _send_json(self, status: HTTPStatus, data: dict) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def serve(out_dir: Path, port: int = DEFAULT_PORT, *, open_browser: bool = False, echo=print) -> None:
    """Serve ``out_dir``'s review until interrupted (Ctrl-C). Writes the report first when there is none
    (the page images). Raises FileNotFoundError when ``out_dir`` is not a finished run, OSError when the
    port cannot be had."""
    out_dir = Path(out_dir)
    if not (out_dir / "documents.parquet").is_file():
        table = out_dir / "documents.parquet"
        raise FileNotFoundError(f"{table} not found: not the output folder of a finished sohoa run")
    if not (out_dir / report_site.REPORT_DIR / "index.html").is_file():
        echo(f"writing the report (page images) in {out_dir / report_site.REPORT_DIR} …")
        report_site.write_report(out_dir)
    with ReviewServer(out_dir, port) as server:
        with contextlib.suppress(KeyboardInterrupt):
            threading.Thread(target=_warm_up, name="sohoa-review-warm-up", daemon=True).start()
            if server.app.pdfs.resume():
                echo("making again the searchable PDFs a stopped review left out of date …")
            echo(f"sohoa review: {server.url}  (Ctrl-C to stop)")
            if open_browser:
                webbrowser.open(server.url)
            server.serve_forever()
        _finish_pdfs(server.app.pdfs, echo)


def _warm_up() -> None:
    """Load the word segmentation the first save needs (terms of a corrected section) while nobody waits."""
    from pipeline.structure.terms import section_terms

    section_terms("khởi động")


def _finish_pdfs(pdfs: PdfQueue, echo) -> None:
    """At Ctrl-C: finish the PDFs still being made (a second Ctrl-C leaves them for the next start)."""
    if not pdfs.pending():
        return
    echo(f"finishing {pdfs.pending()} searchable PDF(s) … (Ctrl-C again: they are made at the next start)")
    with contextlib.suppress(KeyboardInterrupt):
        pdfs.drain()
