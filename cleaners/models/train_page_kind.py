"""Train the page-kind model (cleaners/models/page_kind_model.npz) on the WCXB dev pages.

    .venv/bin/pip install -c constraints.txt -e '.[train]'
    .venv/bin/python -m cleaners.models.train_page_kind ../shared/devsets [--cache FILE]

Every page of wcxb-dev-articles (articles) and wcxb-dev-other (listings, products, forums,
collections, service and documentation pages) goes through clean_html, which hands over its
page-kind feature row. LightGBM learns P(not article) on the train part of the split by site. The
cutoff is the lowest that keeps article recall >= TARGET_RECALL on out-of-fold scores inside the
train part (its four folds by site): losing an article costs more than keeping a listing. The
shipped model is trained on the whole train part; the script prints the held-back part's article
recall and non-article rejection (the held-back part is never trained on), and the recall on the
news articles alone (those whose ground truth names a date or an author: WCXB also files undated
service-like pages as articles, and they are the articles the model loses). Deterministic.
Retrain after the content model (train_content.py): a feature counts the content model's removals.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from cleaners.clean import _clean_html
from cleaners.models import devsets
from cleaners.models.page_kind import MODEL_FILE, N_FEATURES
from cleaners.models.train_content import export

SEED = 12
PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "max_depth": 5,
          "min_data_in_leaf": 10, "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1,
          "lambda_l2": 1.0, "seed": SEED, "deterministic": True, "num_threads": 1, "verbose": -1,
          "force_row_wise": True}
ROUNDS = 300
TARGET_RECALL = 0.99


def page_row(html: str, url: str | None) -> np.ndarray:
    """The feature row clean_html judges the page by (zeros when the page does not parse)."""
    rows: list[np.ndarray] = []
    _clean_html(html, url, None, {}, on_page=rows.append)
    return rows[0] if rows else np.zeros(N_FEATURES, dtype=np.float32)


def collect(root: Path) -> dict[str, np.ndarray]:
    X, y, folds, kinds, names, news = [], [], [], [], [], []
    for page in devsets.load(root, "all"):
        X.append(page_row(page.html, page.url))
        y.append(0 if page.is_article else 1)
        folds.append(page.fold)
        kinds.append(page.page_type)
        names.append(page.name)
        news.append(page.is_news)
        if len(X) % 100 == 0:
            print(f"  {len(X)} pages", file=sys.stderr)
    return {"X": np.vstack(X), "y": np.array(y, dtype=np.int8), "fold": np.array(folds),
            "kind": np.array(kinds), "name": np.array(names), "news": np.array(news)}


def load_rows(root: Path, cache: Path | None) -> dict[str, np.ndarray]:
    """`collect`'s rows, from `cache` when it exists (else written there when given). `news` marks
    the articles whose ground truth names a date or an author."""
    if cache and cache.exists():
        with np.load(cache) as data:
            rows = {k: data[k] for k in data.files}
    else:
        rows = collect(root)
        if cache:
            np.savez_compressed(cache, **rows)
    if "news" not in rows:  # a cache written before the news column
        rows["news"] = np.array([devsets.is_news(devsets.ground_truth(root, str(name))) for name in rows["name"]])
    rows["news"] = rows["news"] & (rows["y"] == 0)
    return rows


def fit(X: np.ndarray, y: np.ndarray):
    import lightgbm as lgb

    w = np.where(y == 0, 0.5 / max((y == 0).mean(), 1e-9), 0.5 / max((y == 1).mean(), 1e-9))
    return lgb.train(PARAMS, lgb.Dataset(X, y, weight=w), num_boost_round=ROUNDS)


def out_of_fold(X: np.ndarray, y: np.ndarray, fold: np.ndarray, trained_on: np.ndarray | None = None) -> np.ndarray:
    """Each row scored by a model trained on the other folds' rows only (of those, only the rows
    `trained_on` marks, when given)."""
    scores = np.zeros(len(y))
    for k in np.unique(fold):
        rows = (fold != k) if trained_on is None else (fold != k) & trained_on
        model = fit(X[rows], y[rows])
        scores[fold == k] = model.predict(X[fold == k])
    return scores


def cutoff_for(scores: np.ndarray, y: np.ndarray, recall: float = TARGET_RECALL) -> float:
    """The lowest cutoff (P(not article) at or above it: rejected) keeping `recall` of the articles:
    halfway between the article score it must stay above and the next score of any page."""
    articles = np.sort(scores[y == 0])
    floor = articles[max(int(np.ceil(recall * len(articles))) - 1, 0)]
    above = scores[scores > floor]
    return float((floor + above.min()) / 2 if len(above) else (floor + 1) / 2)


def figures(scores: np.ndarray, y: np.ndarray, cutoff: float) -> tuple[float, float]:
    """(article recall, non-article rejection) at `cutoff`."""
    rejected = scores >= cutoff
    return float((~rejected[y == 0]).mean()), float(rejected[y == 1].mean())


def report(name: str, scores: np.ndarray, y: np.ndarray, kind: np.ndarray, cutoff: float,
           news: np.ndarray) -> None:
    """`news`: the articles whose ground truth names a date or an author."""
    recall, rejection = figures(scores, y, cutoff)
    by_kind = Counter(str(k) for k, s in zip(kind, scores, strict=True) if k != "article" and s >= cutoff)
    totals = Counter(str(k) for k in kind if k != "article")
    detail = ", ".join(f"{k} {by_kind[k]}/{n}" for k, n in sorted(totals.items()))
    lost = (scores >= cutoff) & (y == 0)
    print(f"{name}: {int((y == 0).sum())} articles, {int((y == 1).sum())} others; article recall {recall:.4f}, "
          f"non-article rejection {rejection:.4f} (cutoff {cutoff:.3f}; rejected by type: {detail}); "
          f"{int(lost.sum())} articles lost, {int((lost & news).sum())} of them news: recall on the "
          f"{int(news.sum())} news articles {1 - (lost & news).sum() / max(news.sum(), 1):.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devsets", type=Path, help="../shared/devsets (wcxb-dev-articles and wcxb-dev-other)")
    ap.add_argument("--cache", type=Path, help="npz of the collected feature rows: read if present, else written.")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    args = ap.parse_args()
    rows = load_rows(args.devsets, args.cache)
    X, y, fold, kind, news = rows["X"], rows["y"], rows["fold"], rows["kind"], rows["news"]
    train, held = fold != devsets.HELDOUT, fold == devsets.HELDOUT
    oof = out_of_fold(X[train], y[train], fold[train])
    cutoff = cutoff_for(oof, y[train])
    report("train part, out of fold", oof, y[train], kind[train], cutoff, news[train])
    export(fit(X[train], y[train]), cutoff, args.out)
    from cleaners.models.content import Forest
    shipped = Forest(args.out)
    report("held-back part (fold 0, never trained on)", shipped.predict(X[held]), y[held], kind[held], cutoff,
           news[held])
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
