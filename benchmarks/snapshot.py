"""Pure speed work must not change a byte of output: this writes what clean_html gives on every page
of WCXB folders (the Document's fields, and a digest of the content model's feature matrix and
scores), and compares two such snapshots.

    .venv/bin/python benchmarks/snapshot.py dump ../shared/devsets/wcxb-dev-articles \
        ../shared/devsets/wcxb-dev-other --out before.jsonl
    .venv/bin/python benchmarks/snapshot.py compare before.jsonl after.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cleaners import clean_html  # noqa: E402
from cleaners.models import content, devsets  # noqa: E402


def _digest(a: np.ndarray) -> str:
    return f"{a.dtype}{a.shape}:{hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()}"


def dump(folders: list[Path], out: Path, limit: int | None) -> None:
    recorded: list[str] = []
    features, predict = content.features, content.Forest.predict

    def record_features(*args, **kwargs):  # type: ignore[no-untyped-def]
        X = features(*args, **kwargs)
        recorded.append("X " + _digest(X))
        return X

    def record_predict(self, X):  # type: ignore[no-untyped-def]
        p = predict(self, X)
        recorded.append("p " + _digest(p))
        return p

    content.features, content.Forest.predict = record_features, record_predict
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for folder in folders:
            for page in devsets.load(folder, limit=limit):
                recorded.clear()
                row = {"page": page.name, "doc": clean_html(page.html, url=page.url).to_dict(),
                       "model": list(recorded)}
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
    print(f"{n} pages written to {out}")


def compare(a: Path, b: Path) -> int:
    rows_a = [json.loads(line) for line in a.open(encoding="utf-8")]
    rows_b = [json.loads(line) for line in b.open(encoding="utf-8")]
    if [r["page"] for r in rows_a] != [r["page"] for r in rows_b]:
        print("the snapshots hold different pages")
        return 1
    differ = 0
    for ra, rb in zip(rows_a, rows_b, strict=True):
        if ra != rb:
            differ += 1
            fields = sorted(k for k in ra["doc"] if ra["doc"][k] != rb["doc"].get(k))
            print(f"{ra['page']}: differs in {fields + (['model'] if ra['model'] != rb['model'] else [])}")
    print(f"{len(rows_a)} pages compared, {differ} differ")
    return 1 if differ else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("folders", type=Path, nargs="+")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--limit", type=int, default=None, help="Pages per folder.")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.command == "dump":
        dump(args.folders, args.out, args.limit)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
