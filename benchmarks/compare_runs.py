"""Compare the tables of two ``sohoa run`` outputs, timing columns aside: are they the same results?

Used to check that a restructuring changed nothing a user sees (issue 15: ``documents.parquet`` and
``sections.parquet`` on ``samples/`` equal before and after). Prints the schema check and the rows that
differ; exits 1 when anything differs.

    python benchmarks/compare_runs.py OUT_BEFORE OUT_AFTER
"""

from __future__ import annotations

import argparse
import sys

import pyarrow.parquet as pq

# Columns that change from run to run without the results changing.
VOLATILE = {"seconds", "processed_at", "source_path"}


def rows(out_dir: str, table: str) -> tuple[object, list[dict]]:
    data = pq.read_table(f"{out_dir}/{table}.parquet")
    records = [{k: v for k, v in r.items() if k not in VOLATILE} for r in data.to_pylist()]
    records.sort(key=lambda r: (r["doc_id"], r.get("order") or 0))
    return data.schema.remove_metadata(), records


def compare(before: str, after: str, table: str) -> int:
    schema_a, rows_a = rows(before, table)
    schema_b, rows_b = rows(after, table)
    differing = [(a, b) for a, b in zip(rows_a, rows_b, strict=False) if a != b]
    same_schema = schema_a == schema_b
    print(
        f"{table}: schema {'equal' if same_schema else 'DIFFERS'}; rows {len(rows_a)} vs {len(rows_b)}; "
        f"{len(differing)} differ"
    )
    for a, b in differing[:5]:
        print("   ", a["doc_id"], {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)})
    return int(not same_schema or len(rows_a) != len(rows_b) or bool(differing))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    args = ap.parse_args()
    return max(compare(args.before, args.after, t) for t in ("documents", "sections"))


if __name__ == "__main__":
    sys.exit(main())
