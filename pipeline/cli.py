"""The ``sohoa`` command: a thin layer over the Python API (``pipeline.batch``, ``pipeline.restore``, ...).

Exit codes are :class:`pipeline.errors.ExitCode`: 0 all good, 1 some files failed (they are listed in
documents.parquet with their error), 2 usage error or a run refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import ExitCode

_LEXICON_HELP = "TSV of the archive's own names and terms (form, kind, weight), used with a high prior"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader went away (``sohoa extract FILE | head``): what it wanted was written. Point stdout
        # at /dev/null so that Python's last flush at exit does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sohoa", description="OCR and restoration of scanned Vietnamese documents"
    )
    parser.add_argument("--version", action="version", version=f"sohoa {__version__}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="OCR, restore and structure files and folders of scans and text dumps")
    run.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files or folders (recursive)")
    run.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="output folder")
    run.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)"
    )
    run.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local process pool (default) or a Dask cluster",
    )
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://host:8786 (with --executor dask; default: a LocalCluster)",
    )
    run.add_argument("--dpi", type=int, default=300, help="resolution for rasterising PDF pages")
    run.add_argument("--lang", default="vie", help="Tesseract language(s), e.g. vie or vie+eng")
    run.add_argument("--force", action="store_true", help="redo documents already done in OUT")
    run.add_argument("--quiet", action="store_true", help="no progress bar; only warnings and errors")
    run.add_argument("--log-format", choices=("text", "json"), default="text", help="stderr log format")
    run.add_argument(
        "--page-timeout", type=float, default=180.0, help="seconds before a page's OCR is abandoned"
    )
    run.add_argument(
        "--pdf", action="store_true", help="also write OUT/pdf/<doc_id>.pdf: the scans as searchable PDF/A-2b"
    )
    run.add_argument(
        "--hocr", action="store_true", help="also write OUT/hocr/<doc_id>.hocr (ALTO is always written)"
    )
    run.add_argument("--no-columns", action="store_true", help="let Tesseract find the layout itself")
    run.add_argument("--no-restore", action="store_true", help="keep the OCR text as it is")
    run.add_argument("--no-structure", action="store_true", help="do not extract header fields and sections")
    run.add_argument("--lexicon", type=Path, metavar="FILE", help=_LEXICON_HELP)
    for step in ("remove-seal", "remove-marks", "normalize", "orient", "deskew", "binarize", "despeckle"):
        run.add_argument(f"--no-{step}", action="store_true", help=f"skip the {step} preprocessing step")
    run.set_defaults(handler=_cmd_run)

    restore = sub.add_parser("restore", help="restore diacritics and OCR damage in a text (line by line)")
    restore.add_argument("file", nargs="?", default="-", help="text file, or - for standard input")
    restore.add_argument("--explain", action="store_true", help="TSV of every changed token on stderr")
    restore.add_argument(
        "--tone-style", choices=("modern", "old"), default="modern", help="hòa (modern) or hoà"
    )
    restore.add_argument("--lexicon", type=Path, metavar="FILE", help=_LEXICON_HELP)
    restore.set_defaults(handler=_cmd_restore)

    extract = sub.add_parser("extract", help="print the header fields and sections of a text file as JSON")
    extract.add_argument("file", help="text file, or - for standard input")
    extract.set_defaults(handler=_cmd_extract)

    evaluate = sub.add_parser("eval", help="measure a run against hand transcriptions (CER, WER, fields)")
    evaluate.add_argument("gold", type=Path, help="folder of <name>.txt or .gt.txt, + <name>.json")
    evaluate.add_argument("output", type=Path, metavar="OUT", help="output folder of sohoa run")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_cmd_eval)

    report = sub.add_parser("report", help="write a static HTML review site OUT/report/index.html")
    report.add_argument("output", type=Path, metavar="OUT", help="output folder of sohoa run")
    report.set_defaults(handler=_cmd_report)

    review = sub.add_parser(
        "review", help="correct words and fields in the browser: the report as a local web app (127.0.0.1)"
    )
    review.add_argument("output", type=Path, metavar="OUT", help="output folder of sohoa run")
    review.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1, default 8765 (0: any)")
    review.add_argument("--open", action="store_true", help="open it in the default browser")
    review.set_defaults(handler=_cmd_review)

    export = sub.add_parser("export", help="write the documents and sections tables for spreadsheets")
    export.add_argument("output", type=Path, metavar="OUT", help="output folder of sohoa run")
    export.add_argument("--xlsx", type=Path, metavar="FILE", help="Excel workbook, one sheet per table")
    export.add_argument("--csv", type=Path, metavar="DIR", help="folder for documents.csv and sections.csv")
    export.set_defaults(handler=_cmd_export)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.batch.run import BatchOptions, run_batch
    from pipeline.errors import RunRefused
    from pipeline.logs import setup_logging
    from pipeline.scan.preprocess import PreprocessOptions
    from pipeline.stages import ProcessOptions

    if args.workers < 1 or args.dpi < 50 or args.page_timeout <= 0:
        print("sohoa run: --workers must be ≥ 1, --dpi ≥ 50, --page-timeout > 0", file=sys.stderr)
        return ExitCode.USAGE
    if args.scheduler and args.executor != "dask":
        print("sohoa run: --scheduler needs --executor dask", file=sys.stderr)
        return ExitCode.USAGE
    lexicon_ok, lexicon = _read_lexicon("run", args.lexicon)
    if not lexicon_ok:
        return ExitCode.USAGE
    problem = _missing_inputs(args.inputs) or _prepare_output(args.output)
    if problem:
        print(f"sohoa run: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    out: Path = args.output
    try:
        log = setup_logging(quiet=args.quiet, fmt=args.log_format, log_file=out / "log.jsonl")
    except OSError as exc:
        print(f"sohoa run: cannot write to {_shown(out)}: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.USAGE
    options = ProcessOptions(
        dpi=args.dpi,
        lang=args.lang,
        columns=not args.no_columns,
        page_timeout_s=args.page_timeout,
        restore=not args.no_restore,
        structure=not args.no_structure,
        lexicon=lexicon,
        archive_lexicon=_archive_lexicon(out, log),
        preprocess=PreprocessOptions(
            remove_seal=not args.no_remove_seal,
            remove_marks=not args.no_remove_marks,
            normalize=not args.no_normalize,
            orient=not args.no_orient,
            deskew=not args.no_deskew,
            binarize=not args.no_binarize,
            despeckle=not args.no_despeckle,
        ),
    )
    progress = None
    if not args.quiet and args.log_format == "text":
        from pipeline.batch.progress import RichProgress

        progress = RichProgress()
    try:
        summary = run_batch(
            args.inputs,
            out,
            options,
            BatchOptions(
                workers=args.workers,
                executor=args.executor,
                scheduler=args.scheduler,
                force=args.force,
                write_pdf=args.pdf,
                write_hocr=args.hocr,
            ),
            progress=progress,
        )
    except RunRefused as exc:
        log.error("%s", exc, extra={"event": "run_refused"})
        return ExitCode.USAGE
    except OSError as exc:  # OUT became unwritable (full disk, lost mount, permissions) during the run
        where = f" ({_shown(exc.filename)})" if exc.filename else ""
        log.error("cannot go on: %s%s", exc.strerror or exc, where, extra={"event": "run_aborted"})
        return ExitCode.USAGE
    log.info(
        "%d inputs: %d ok, %d partial, %d failed, %d already done or duplicate; %d pages in %.1f s -> %s",
        summary.n_inputs,
        summary.n_ok,
        summary.n_partial,
        summary.n_error,
        summary.n_skipped,
        summary.n_pages,
        summary.seconds,
        out,
        extra={"event": "run_finished"},
    )
    return summary.exit_code


def _shown(path: object) -> str:
    from pipeline.scan.ingest import display_path

    return display_path(path) if isinstance(path, str | bytes | os.PathLike) else str(path)


def _missing_inputs(inputs: list[Path]) -> str | None:
    """One line naming the inputs that do not exist (nothing is created for a mistyped path), or None."""
    missing = []
    for path in inputs:
        try:
            path.stat()
        except OSError as exc:
            missing.append(f"{_shown(path)} ({exc.strerror or exc})")
    if not missing:
        return None
    return ("cannot read input " if len(missing) == 1 else "cannot read inputs ") + ", ".join(missing)


def _prepare_output(out: Path) -> str | None:
    """Create OUT and make sure files can be written in it; one line saying why not, or None."""
    if out.exists() and not out.is_dir():
        return f"output {_shown(out)} exists and is not a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".sohoa-probe-"):
            pass
    except OSError as exc:
        return f"cannot write to {_shown(out)}: {exc.strerror or exc}"
    return None


def _read_input(command: str, name: str) -> str | None:
    """The text of a file (or stdin for ``-``) in whatever encoding it is (UTF-8, UTF-16, Windows-1258,
    TCVN3, VNI); None after printing one line saying why it could not be read."""
    from pipeline.errors import TextEncodingError
    from pipeline.scan.text_encoding import decode_text

    label = "standard input" if name == "-" else name
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        return decode_text(data).text if data else ""
    except OSError as exc:
        print(f"sohoa {command}: cannot read {label}: {exc.strerror or exc}", file=sys.stderr)
    except TextEncodingError as exc:
        print(f"sohoa {command}: {label}: {exc}", file=sys.stderr)
    return None


def _read_lexicon(command: str, path: Path | None) -> tuple[bool, Any]:
    """The ``--lexicon`` file as a UserLexicon (None without one); (False, None) after one line saying why
    it cannot be used."""
    if path is None:
        return True, None
    from pipeline.restore.lexicon import LexiconError, UserLexicon

    try:
        return True, UserLexicon.read(path)
    except OSError as exc:
        print(f"sohoa {command}: cannot read {_shown(path)}: {exc.strerror or exc}", file=sys.stderr)
    except LexiconError as exc:
        print(f"sohoa {command}: {exc}", file=sys.stderr)
    return False, None


def _archive_lexicon(out: Path, log: Any) -> Any:
    """The names and terms corrected in ``OUT`` (``sohoa review`` keeps them in OUT/lexicon.tsv), or None.

    A file that cannot be read costs a warning: the run goes on without it.
    """
    from pipeline.outputs.corrections import LEXICON_NAME
    from pipeline.restore.lexicon import LexiconError, UserLexicon

    path = out / LEXICON_NAME
    if not path.exists():
        return None
    try:
        return UserLexicon.read(path)
    except (OSError, LexiconError) as exc:
        log.warning(
            "%s: archive lexicon not used: %s", _shown(path), exc, extra={"event": "lexicon_unreadable"}
        )
        return None


def _cmd_restore(args: argparse.Namespace) -> int:
    from pipeline.restore import restore_text

    lexicon_ok, lexicon = _read_lexicon("restore", args.lexicon)
    text = _read_input("restore", args.file) if lexicon_ok else None
    if text is None:
        return ExitCode.USAGE
    result = restore_text(text, tone_style=args.tone_style, lexicon=lexicon)
    sys.stdout.write(result.text)
    sys.stdout.flush()
    if args.explain:
        sys.stderr.write("line\tcolumn\toriginal\trestored\tconfidence\talternatives\n")
        for t in result.tokens:
            if t.changed:
                sys.stderr.write(
                    f"{t.line + 1}\t{t.col + 1}\t{t.original}\t{t.restored}\t{t.confidence:.3f}\t"
                    f"{'|'.join(t.alternatives)}\n"
                )
    return ExitCode.OK


def _cmd_extract(args: argparse.Namespace) -> int:
    from pipeline.structure import extract_record

    text = _read_input("extract", args.file)
    if text is None:
        return ExitCode.USAGE
    record = extract_record(text.replace("\r\n", "\n"))
    json.dump(record.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return ExitCode.OK


def _cmd_eval(args: argparse.Namespace) -> int:
    """Exit 0 when every gold file was scored, 1 when some were not (listed), 2 when nothing can be scored."""
    from pipeline.outputs.evaluate import evaluate, print_evaluation

    try:
        report = evaluate(args.gold, args.output)
    except FileNotFoundError as exc:
        print(f"sohoa eval: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if not report.documents and not report.unmatched:
        print(f"sohoa eval: no gold .txt files in {args.gold}", file=sys.stderr)
        return ExitCode.USAGE
    if args.json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_evaluation(report)
    return ExitCode.SOME_FAILED if report.unmatched else ExitCode.OK


def _cmd_report(args: argparse.Namespace) -> int:
    from pipeline.outputs.report import write_report

    try:
        index = write_report(args.output)
    except FileNotFoundError as exc:
        print(f"sohoa report: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print(index)
    return ExitCode.OK


def _cmd_review(args: argparse.Namespace) -> int:
    from pipeline.outputs.review_server import serve

    if not 0 <= args.port <= 65535:
        print("sohoa review: --port must be between 0 and 65535", file=sys.stderr)
        return ExitCode.USAGE
    try:
        serve(args.output, args.port, open_browser=args.open, echo=lambda line: print(line, flush=True))
    except FileNotFoundError as exc:
        print(f"sohoa review: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except OSError as exc:
        print(f"sohoa review: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.USAGE
    return ExitCode.OK


def _cmd_export(args: argparse.Namespace) -> int:
    from pipeline.outputs import spreadsheets

    if not (args.xlsx or args.csv):
        print("sohoa export: give --xlsx FILE, --csv DIR or both", file=sys.stderr)
        return ExitCode.USAGE
    try:
        written = [spreadsheets.write_xlsx(args.output, args.xlsx)] if args.xlsx else []
        written += spreadsheets.write_csv(args.output, args.csv) if args.csv else []
    except FileNotFoundError as exc:
        print(f"sohoa export: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except OSError as exc:
        print(f"sohoa export: cannot write {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.USAGE
    for path in written:
        print(path)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
