"""Measuring a run against hand transcriptions: CER, WER and header-field accuracy per document.

Archivists judge the pipeline on their own material, not on our samples: they type a few pages by hand into
``GOLD/<name>.txt`` (or ``<name>.gt.txt``), optionally with ``GOLD/<name>.json`` holding the header fields
they expect (``{"fields": {"issuer": ..., "issue_date": "2023-04-20"}}``), and compare them with an output
folder of ``sohoa run``. A gold file belongs to the document whose source file has the same stem, so the gold
folder can simply mirror the file names of the scans (or be the scan folder itself, with
``*.gt.txt`` beside them).

Both texts are compared after NFC normalisation (the same letter typed precomposed or with combining marks
must not count as an error) and with every run of whitespace collapsed to one space (line breaks of a hand
transcription never match OCR lines exactly, and that is not what we measure). CER counts character edits,
case-sensitive, so a wrong tone mark or capital is an error; WER counts edits over words (runs of letters and
digits, case-insensitive, punctuation ignored). Totals are micro-averages: all edits over all reference
characters or words, so long documents weigh more than one-line ones.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rapidfuzz.distance import Levenshtein

from pipeline.outputs import export

GOLD_SUFFIXES = (".gt.txt", ".gold.txt", ".txt")  # most specific first: "a.gt.txt" is gold "a", not "a.gt"
_WORD = re.compile(r"[^\W_]+")


@dataclass
class FieldCheck:
    """One expected header field of a gold record against what the run extracted."""

    name: str
    expected: Any
    actual: Any
    match: bool


@dataclass
class DocumentScore:
    """The scores of one gold file against the document it was matched to."""

    name: str
    gold_path: str
    doc_id: str
    source_path: str
    status: str
    ref_chars: int
    char_edits: int
    raw_char_edits: int
    ref_words: int
    word_edits: int
    fields: list[FieldCheck] = field(default_factory=list)

    @property
    def cer(self) -> float:
        return _rate(self.char_edits, self.ref_chars)

    @property
    def raw_cer(self) -> float:
        """CER of the text before restoration (the OCR output or the input dump): what restoration gained."""
        return _rate(self.raw_char_edits, self.ref_chars)

    @property
    def wer(self) -> float:
        return _rate(self.word_edits, self.ref_words)

    @property
    def n_fields_correct(self) -> int:
        return sum(f.match for f in self.fields)

    @property
    def field_accuracy(self) -> float | None:
        return self.n_fields_correct / len(self.fields) if self.fields else None

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(cer=self.cer, raw_cer=self.raw_cer, wer=self.wer, field_accuracy=self.field_accuracy)
        out["fields"] = [
            {**asdict(f), "expected": _jsonable(f.expected), "actual": _jsonable(f.actual)}
            for f in self.fields
        ]
        return out


@dataclass
class Unmatched:
    """A gold file that could not be scored, with the reason (no document of that name, bad JSON ...)."""

    name: str
    gold_path: str
    reason: str


@dataclass
class Evaluation:
    """Every scored document, the overall (micro-averaged) figures and the gold files left unscored."""

    documents: list[DocumentScore]
    unmatched: list[Unmatched]

    @property
    def cer(self) -> float:
        return _rate(sum(d.char_edits for d in self.documents), sum(d.ref_chars for d in self.documents))

    @property
    def raw_cer(self) -> float:
        return _rate(sum(d.raw_char_edits for d in self.documents), sum(d.ref_chars for d in self.documents))

    @property
    def wer(self) -> float:
        return _rate(sum(d.word_edits for d in self.documents), sum(d.ref_words for d in self.documents))

    @property
    def n_fields(self) -> int:
        return sum(len(d.fields) for d in self.documents)

    @property
    def field_accuracy(self) -> float | None:
        total = self.n_fields
        return sum(d.n_fields_correct for d in self.documents) / total if total else None

    def to_dict(self) -> dict:
        return {
            "overall": {
                "n_documents": len(self.documents),
                "ref_chars": sum(d.ref_chars for d in self.documents),
                "ref_words": sum(d.ref_words for d in self.documents),
                "cer": self.cer,
                "raw_cer": self.raw_cer,
                "wer": self.wer,
                "n_fields": self.n_fields,
                "field_accuracy": self.field_accuracy,
            },
            "documents": [d.to_dict() for d in self.documents],
            "unmatched": [asdict(u) for u in self.unmatched],
        }


def normalize_text(text: str) -> str:
    """NFC, and every run of whitespace (line breaks included) as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def words(text: str) -> list[str]:
    """The words WER is counted over: runs of letters and digits, case-folded."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` after :func:`normalize_text`."""
    ref = normalize_text(reference)
    return _rate(Levenshtein.distance(ref, normalize_text(hypothesis)), len(ref))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate over :func:`words`."""
    ref = words(reference)
    return _rate(Levenshtein.distance(ref, words(hypothesis)), len(ref))


def gold_files(gold_dir: Path) -> dict[str, Path]:
    """Gold transcriptions by name. ``a.gt.txt`` wins over ``a.txt``, which is then the scan's text input."""
    found: dict[str, Path] = {}
    for path in sorted(p for p in gold_dir.iterdir() if p.is_file()):
        for rank, suffix in enumerate(GOLD_SUFFIXES):
            if path.name.endswith(suffix) and len(path.name) > len(suffix):
                name = path.name[: -len(suffix)]
                best = found.get(name)
                if best is None or rank < _suffix_rank(best.name):
                    found[name] = path
                break
    return found


def evaluate(gold_dir: str | Path, out_dir: str | Path) -> Evaluation:
    """Score every gold file of ``gold_dir`` against the matching document of the run in ``out_dir``.

    Raises ``FileNotFoundError`` when either folder, or the run's ``documents.parquet``, is missing.
    """
    gold_dir, out_dir = Path(gold_dir), Path(out_dir)
    if not gold_dir.is_dir():
        raise FileNotFoundError(f"gold folder {gold_dir} not found")
    table = out_dir / "documents.parquet"
    if not table.is_file():
        raise FileNotFoundError(f"{table} not found: is {out_dir} the output folder of `sohoa run`?")
    rows = pq.read_table(table).to_pylist()
    by_stem: dict[str, list[dict]] = {}
    for row in rows:
        by_stem.setdefault(_stem(row.get("source_path") or ""), []).append(row)

    scores: list[DocumentScore] = []
    unmatched: list[Unmatched] = []
    for name, gold_path in gold_files(gold_dir).items():
        matches = by_stem.get(name, [])
        if not matches:
            unmatched.append(Unmatched(name, str(gold_path), "no document with this source file name"))
            continue
        try:
            reference = gold_path.read_text(encoding="utf-8")
            expected = _expected_fields(gold_dir / f"{name}.json")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            unmatched.append(Unmatched(name, str(gold_path), f"cannot read gold: {_one_line(exc)}"))
            continue
        for row in matches:
            scores.append(_score(name, gold_path, reference, expected, row, out_dir))
    return Evaluation(scores, unmatched)


def _score(
    name: str, gold_path: Path, reference: str, expected: dict | None, row: dict, out_dir: Path
) -> DocumentScore:
    doc_id = row["doc_id"]
    text_file = export.text_path(out_dir, doc_id)
    restored = text_file.read_text(encoding="utf-8") if text_file.is_file() else ""
    doc = export.read_document(out_dir, doc_id) or {}
    raw = doc.get("raw_text") or ""
    ref = normalize_text(reference)
    ref_words = words(reference)
    checks = []
    if expected is not None:
        record_fields = (doc.get("record") or {}).get("fields") or {}
        for key, want in expected.items():
            got = row[key] if key in row else record_fields.get(key)
            checks.append(FieldCheck(key, want, got, _field_value(want) == _field_value(got)))
    return DocumentScore(
        name=name,
        gold_path=str(gold_path),
        doc_id=doc_id,
        source_path=row.get("source_path") or "",
        status=row.get("status") or "",
        ref_chars=len(ref),
        char_edits=Levenshtein.distance(ref, normalize_text(restored)),
        raw_char_edits=Levenshtein.distance(ref, normalize_text(raw)),
        ref_words=len(ref_words),
        word_edits=Levenshtein.distance(ref_words, words(restored)),
        fields=checks,
    )


def _expected_fields(path: Path) -> dict | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, dict):
        raise ValueError(f'{path.name} must hold an object {{"fields": {{...}}}}')
    return fields


def _field_value(value: Any) -> Any:
    """A value reduced for exact comparison: NFC, whitespace collapsed, dates as ISO, lists element-wise."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return tuple(sorted((k, _field_value(v)) for k, v in value.items() if v is not None))
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return tuple(_field_value(v) for v in value)
    return normalize_text(str(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()[:10]
    if isinstance(value, tuple):
        return list(value)
    return value


def _stem(source_path: str) -> str:
    name = Path(source_path).name
    return name.rsplit(".", 1)[0] if "." in name else name


def _suffix_rank(filename: str) -> int:
    return next(i for i, s in enumerate(GOLD_SUFFIXES) if filename.endswith(s))


def _rate(edits: int, length: int) -> float:
    if length == 0:
        return 0.0 if edits == 0 else 1.0
    return edits / length


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def print_evaluation(report: Evaluation, console: Any = None) -> None:
    """Print rich tables: one row per document, a total row, then field mismatches and unmatched files."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="sohoa eval: restored text against hand transcriptions")
    table.add_column("document", overflow="fold")
    table.add_column("status")
    for column in ("chars", "CER", "raw CER", "WER", "fields"):
        table.add_column(column, justify="right")
    for d in report.documents:
        table.add_row(
            Path(d.source_path).name,
            d.status,
            str(d.ref_chars),
            _pct(d.cer),
            _pct(d.raw_cer),
            _pct(d.wer),
            f"{d.n_fields_correct}/{len(d.fields)}" if d.fields else "-",
        )
    table.add_section()
    n_correct = sum(d.n_fields_correct for d in report.documents)
    table.add_row(
        f"overall ({len(report.documents)} documents)",
        "",
        str(sum(d.ref_chars for d in report.documents)),
        _pct(report.cer),
        _pct(report.raw_cer),
        _pct(report.wer),
        f"{n_correct}/{report.n_fields} ({_pct(report.field_accuracy)})" if report.n_fields else "-",
        style="bold",
    )
    console.print(table)
    console.print("raw CER: the text before restoration (OCR output or input dump)", style="dim")
    wrong = [(d, f) for d in report.documents for f in d.fields if not f.match]
    if wrong:
        mismatches = Table(title="field mismatches")
        for column in ("gold", "field", "expected", "extracted"):
            mismatches.add_column(column)
        for d, f in wrong:
            mismatches.add_row(d.name, f.name, repr(_jsonable(f.expected)), repr(_jsonable(f.actual)))
        console.print(mismatches)
    for u in report.unmatched:
        console.print(f"[yellow]unmatched gold file[/] {u.gold_path}: {u.reason}")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"
