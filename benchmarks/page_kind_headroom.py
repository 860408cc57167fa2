"""What limits the page-kind model: article recall against non-article rejection out of fold on the
train part (its four folds by site), under the shipped LightGBM settings and others, trained on
every kind of page or on the kinds the issue names (listing, collection, product, forum) only; the
article recall, on all articles and on the news articles alone (a date or an author in the ground
truth), at a few levels of rejection; and the article pages that score highest, which set the cutoff.

    .venv/bin/pip install -c constraints.txt -e '.[train]'
    .venv/bin/python benchmarks/page_kind_headroom.py ../shared/devsets [--cache FILE]

`--cache` is the train_page_kind.py npz of the feature rows (read if present, else written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.content_headroom import auc  # noqa: E402
from cleaners.models import devsets  # noqa: E402
from cleaners.models import train_page_kind as tp  # noqa: E402

NAMED = ("listing", "collection", "product", "forum")
SETTINGS = {"shipped": ({}, tp.ROUNDS), "150 rounds": ({}, 150), "600 rounds": ({}, 600),
            "7 leaves, depth 3, 600 rounds": ({"num_leaves": 7, "max_depth": 3}, 600),
            "min 30 rows a leaf": ({"min_data_in_leaf": 30}, tp.ROUNDS),
            "feature fraction 0.3": ({"feature_fraction": 0.3}, tp.ROUNDS),
            "lambda_l2 10": ({"lambda_l2": 10.0}, tp.ROUNDS)}


# Non-article rejection levels at which the article recall is given, on all articles and on the
# news articles alone (a date or an author in the ground truth).
REJECTION = (0.7, 0.8, 0.85, 0.88)


def report(name: str, scores: np.ndarray, y: np.ndarray, kind: np.ndarray) -> None:
    named = np.isin(kind, NAMED)
    cells = []
    for recall in (0.98, 0.99):
        cutoff = tp.cutoff_for(scores, y, recall)
        rejected = scores >= cutoff
        cells.append(f"at recall {recall}: rejection {rejected[y == 1].mean():.4f}, named kinds "
                     f"{rejected[named].mean():.4f} (cutoff {cutoff:.3f})")
    print(f"{name:<36} AUC {auc(y, scores):.4f}; " + "; ".join(cells), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devsets", type=Path, help="../shared/devsets (wcxb-dev-articles and wcxb-dev-other)")
    ap.add_argument("--cache", type=Path, help="train_page_kind.py's npz of the feature rows.")
    args = ap.parse_args()
    rows = tp.load_rows(args.devsets, args.cache)
    train = rows["fold"] != devsets.HELDOUT
    X, y, fold, kind, news = (rows[k][train] for k in ("X", "y", "fold", "kind", "news"))
    params, rounds = dict(tp.PARAMS), tp.ROUNDS
    scores: dict[str, np.ndarray] = {}
    try:
        for name, (change, n) in SETTINGS.items():
            tp.PARAMS, tp.ROUNDS = {**params, **change}, n
            scores[name] = tp.out_of_fold(X, y, fold)
            report(name, scores[name], y, kind)
    finally:
        tp.PARAMS, tp.ROUNDS = params, rounds
    shipped = scores["shipped"]
    for target in REJECTION:
        others = np.sort(shipped[y == 1])[::-1]
        cutoff = float(others[int(np.ceil(target * len(others))) - 1])
        rejected = shipped >= cutoff
        print(f"shipped settings at rejection {rejected[y == 1].mean():.4f} (cutoff {cutoff:.3f}): article recall "
              f"{1 - rejected[y == 0].mean():.4f}, {int((rejected & news).sum())} of the "
              f"{int((rejected & (y == 0)).sum())} lost articles are news: recall on the {int(news.sum())} news "
              f"articles {1 - rejected[news].mean():.4f}")
    named_only = tp.out_of_fold(X, y, fold, trained_on=(y == 0) | np.isin(kind, NAMED))
    report("shipped, trained on named kinds only", named_only, y, kind)
    if "name" in rows:
        names = rows["name"][train]
        top = [i for i in np.argsort(-shipped) if y[i] == 0][:5]
        print("article pages scored highest (shipped settings): "
              + ", ".join(f"{names[i]} {shipped[i]:.3f}" for i in top))


if __name__ == "__main__":
    main()
