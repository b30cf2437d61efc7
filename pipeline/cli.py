"""The ``sohoa`` command: a thin layer over the Python API (``pipeline.batch``, ``pipeline.restore``, ...).

Exit codes are :class:`pipeline.errors.ExitCode`: 0 all good, 1 some files failed (they are listed in
documents.parquet with their error), 2 usage error or a run refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipeline import __version__
from pipeline.errors import ExitCode


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    return args.handler(args)


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
    run.add_argument("--pdf", action="store_true", help="also write OUT/pdf/<doc_id>.pdf, searchable scans")
    run.add_argument("--no-columns", action="store_true", help="let Tesseract find the layout itself")
    run.add_argument("--no-restore", action="store_true", help="keep the OCR text as it is")
    run.add_argument("--no-structure", action="store_true", help="do not extract header fields and sections")
    for step in ("remove-seal", "normalize", "deskew", "binarize", "despeckle"):
        run.add_argument(f"--no-{step}", action="store_true", help=f"skip the {step} preprocessing step")
    run.set_defaults(handler=_cmd_run)

    restore = sub.add_parser("restore", help="restore diacritics and OCR damage in UTF-8 text (line by line)")
    restore.add_argument("file", nargs="?", default="-", help="text file, or - for standard input")
    restore.add_argument("--explain", action="store_true", help="TSV of every changed token on stderr")
    restore.add_argument(
        "--tone-style", choices=("modern", "old"), default="modern", help="hòa (modern) or hoà"
    )
    restore.set_defaults(handler=_cmd_restore)

    extract = sub.add_parser("extract", help="print the header fields and sections of a text file as JSON")
    extract.add_argument("file", help="UTF-8 text file, or - for standard input")
    extract.set_defaults(handler=_cmd_extract)

    evaluate = sub.add_parser("eval", help="measure a run against hand transcriptions (CER, WER, fields)")
    evaluate.add_argument("gold", type=Path, help="folder of <name>.txt or .gt.txt, + <name>.json")
    evaluate.add_argument("output", type=Path, metavar="OUT", help="output folder of sohoa run")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_cmd_eval)

    report = sub.add_parser("report", help="write a static HTML review site OUT/report/index.html")
    report.add_argument("output", type=Path, metavar="OUT", help="output folder of sohoa run")
    report.set_defaults(handler=_cmd_report)
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
    out: Path = args.output
    if out.exists() and not out.is_dir():
        print(f"sohoa run: output {out} exists and is not a folder", file=sys.stderr)
        return ExitCode.USAGE
    out.mkdir(parents=True, exist_ok=True)
    log = setup_logging(quiet=args.quiet, fmt=args.log_format, log_file=out / "log.jsonl")
    options = ProcessOptions(
        dpi=args.dpi,
        lang=args.lang,
        columns=not args.no_columns,
        page_timeout_s=args.page_timeout,
        restore=not args.no_restore,
        structure=not args.no_structure,
        preprocess=PreprocessOptions(
            remove_seal=not args.no_remove_seal,
            normalize=not args.no_normalize,
            deskew=not args.no_deskew,
            binarize=not args.no_binarize,
            despeckle=not args.no_despeckle,
        ),
    )
    reporter = None
    if not args.quiet and args.log_format == "text":
        from pipeline.batch.progress import RichReporter

        reporter = RichReporter()
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
            ),
            reporter=reporter,
        )
    except RunRefused as exc:
        log.error("%s", exc, extra={"event": "run_refused"})
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


def _read_input(command: str, name: str) -> str | None:
    """UTF-8 text of a file (or stdin for ``-``); None after printing why it could not be read."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        print(f"sohoa {command}: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
        return None
    return data.decode("utf-8", errors="replace")


def _cmd_restore(args: argparse.Namespace) -> int:
    from pipeline.restore import restore_text

    text = _read_input("restore", args.file)
    if text is None:
        return ExitCode.USAGE
    result = restore_text(text, tone_style=args.tone_style)
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
    from pipeline.outputs.evaluate import evaluate, render_report

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
        render_report(report)
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


if __name__ == "__main__":
    sys.exit(main())
