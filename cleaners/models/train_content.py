"""Train the content model (cleaners/models/content_model.npz) on the WCXB dev pages.

    .venv/bin/pip install -c constraints.txt -e '.[train]'
    .venv/bin/python -m cleaners.models.train_content ../shared/devsets [--oof-all] [--cache FILE]

Every page goes through clean_html with a recording judge: the lines the rules kept, their
features, and a label from the ground truth (a line is content when its words run, in order,
through main_content). LightGBM learns them, each line weighted by its share of the page's words
(the metric is per page). The cutoff is tuned on out-of-fold scores inside the train part (its four
folds by site), the shipped model is trained on the whole train part, and the script prints the
held-back part's scores with and without the model (the held-back part is never trained on).
`--oof-all` also prints 5-fold out-of-fold figures over every article page. Deterministic.
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cleaners.clean import _clean_html
from cleaners.document import CLEANER_VERSION
from cleaners.models import devsets
from cleaners.models.content import MODEL_FILE, RULE_ID, DomIndex, features

_TOKEN = re.compile(r"\w+")
SEED = 12
PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "max_depth": 7,
          "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
          "lambda_l2": 1.0, "seed": SEED, "deterministic": True, "num_threads": 1, "verbose": -1,
          "force_row_wise": True}
ROUNDS = 200


@dataclass
class PageLines:
    name: str
    fold: int
    is_article: bool
    gold: str
    lines: list[str]
    X: np.ndarray
    y: np.ndarray  # 1 = boilerplate
    w: np.ndarray
    without: list[str] = field(default_factory=list)  # snippets a good extraction leaves out


class Recorder:
    """A judge that keeps the lines and their features and drops nothing."""

    rule_id = RULE_ID

    def __init__(self, tree):
        self.tree = tree
        self.lines: list[str] = []
        self.X = np.zeros((0, 0), dtype=np.float32)

    def scores(self, lines):
        self.lines = list(lines)
        self.X = features(self.lines, DomIndex(self.tree, self.lines) if self.tree is not None else None)
        return np.zeros(len(lines)), 2.0


def label(lines: list[str], gold: str) -> np.ndarray:
    """1 for a boilerplate line: its words do not appear, in order, in the ground truth. Short lines
    (under four words: "Share", "Tags") must equal a whole line of it."""
    gold_lines = {" ".join(_TOKEN.findall(g.lower())) for g in gold.split("\n")}
    joined = " " + " ".join(_TOKEN.findall(gold.lower())) + " "
    grams = set(zip(joined.split(), joined.split()[1:], joined.split()[2:], strict=False))
    out = np.zeros(len(lines), dtype=np.int8)
    for i, line in enumerate(lines):
        toks = _TOKEN.findall(line.lower())
        key = " ".join(toks)
        if not toks:
            continue
        if len(toks) < 4:
            out[i] = key not in gold_lines
        elif f" {key} " in joined:
            out[i] = 0
        else:
            tri = list(zip(toks, toks[1:], toks[2:], strict=False))
            out[i] = sum(t in grams for t in tri) < 0.5 * len(tri)
    return out


def collect(root: Path) -> list[PageLines]:
    pages = []
    for page in devsets.load(root, "all"):
        recorders: list[Recorder] = []

        def make(tree, recorders=recorders):
            recorders.append(Recorder(tree))
            return recorders[-1]

        _clean_html(page.html, page.url, None, {}, make_judge=make)
        lines = recorders[0].lines if recorders else []
        X = recorders[0].X if lines else np.zeros((0, 0), dtype=np.float32)
        gold = page.truth.get("main_content") or ""
        n_words = np.array([len(_TOKEN.findall(line)) for line in lines], dtype=np.float32)
        w = n_words / max(float(n_words.sum()), 1.0)
        pages.append(PageLines(page.name, page.fold, page.is_article, gold, lines, X, label(lines, gold), w,
                               list(page.truth.get("without") or [])))
        if len(pages) % 100 == 0:
            print(f"  {len(pages)} pages", file=sys.stderr)
    return pages


def stack(pages: list[PageLines]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pages = [p for p in pages if len(p.lines)]
    return (np.vstack([p.X for p in pages]), np.concatenate([p.y for p in pages]),
            np.concatenate([p.w for p in pages]))


def fit(pages: list[PageLines], article_weight: float):
    import lightgbm as lgb

    X, y, w = stack(pages)
    w = w * np.concatenate([np.full(len(p.lines), article_weight if p.is_article else 1.0)
                            for p in pages if len(p.lines)])
    return lgb.train(PARAMS, lgb.Dataset(X, y, weight=w * len(pages)), num_boost_round=ROUNDS)


def out_of_fold(pages: list[PageLines], folds: list[int], article_weight: float,
                trained_on: list[PageLines] | None = None) -> dict[str, np.ndarray]:
    """Each page scored by a model trained on the other folds (of `folds`) only, and of those only
    on the pages of `trained_on` when given."""
    scores: dict[str, np.ndarray] = {}
    for k in folds:
        model = fit([p for p in (pages if trained_on is None else trained_on) if p.fold in folds and p.fold != k],
                    article_weight)
        for p in pages:
            if p.fold == k and len(p.lines):
                scores[p.name] = model.predict(p.X)
    return scores


def evaluate(pages: list[PageLines], scores: dict[str, np.ndarray],
             cutoff: float) -> tuple[float, float, float, float]:
    """Mean WCXB P, R, F1 of the article pages' text with the lines scored >= cutoff dropped (what
    clean_html gives: the judge runs last, and drops none when it would drop all), and the share of
    `without` snippets left in."""
    totals = np.zeros(3)
    n = leaks = snippets = 0
    for p in pages:
        if not p.is_article:
            continue
        s = scores.get(p.name)
        kept = [line for i, line in enumerate(p.lines) if s is None or s[i] < cutoff
                or not _TOKEN.search(line)]
        if not any(_TOKEN.search(line) for line in kept):
            kept = p.lines  # the model never empties a page (cleaners/strip.py, _apply_judge)
        text = "\n".join(kept)
        totals += devsets.prf(text, p.gold)
        n += 1
        snippets += len(p.without)
        leaks += sum(s.lower() in text.lower() for s in p.without)
    p_, r_, f_ = totals / max(n, 1)
    return p_, r_, f_, leaks / max(snippets, 1)


def best_cutoff(pages: list[PageLines], scores: dict[str, np.ndarray]) -> float:
    grid = [c / 100 for c in range(40, 100, 2)]
    return max(grid, key=lambda c: (evaluate(pages, scores, c)[2], c))


def _flatten(node: dict, nodes: list[tuple[int, float, int, int]], leaves: list[float], d: int = 0) -> tuple[int, int]:
    """(index of `node`, depth below it): inner nodes numbered from 0, leaf k as -k-1."""
    if "leaf_value" in node:
        leaves.append(node["leaf_value"])
        return -len(leaves), d
    assert node["decision_type"] == "<=", node
    i = len(nodes)
    nodes.append((0, 0.0, 0, 0))
    left, dl = _flatten(node["left_child"], nodes, leaves, d + 1)
    right, dr = _flatten(node["right_child"], nodes, leaves, d + 1)
    nodes[i] = (node["split_feature"], node["threshold"], left, right)
    return i, max(dl, dr)


def export(model, cutoff: float, path: Path) -> None:
    """LightGBM's trees as flat arrays for cleaners.models.content.Forest (no missing values ever
    reach them, so the default directions are not kept), with the CLEANER_VERSION whose lines they
    were trained on."""
    nodes: list[list[tuple[int, float, int, int]]] = []
    leaves: list[list[float]] = []
    depth = 1
    for info in model.dump_model()["tree_info"]:
        tn: list[tuple[int, float, int, int]] = []
        tl: list[float] = []
        top, d = _flatten(info["tree_structure"], tn, tl)
        if top < 0:  # a tree that is one leaf: a split that always goes left
            tn.append((0, np.inf, top, top))
        nodes.append(tn)
        leaves.append(tl)
        depth = max(depth, d)
    n_nodes = max(len(t) for t in nodes)
    n_leaves = max(len(t) for t in leaves)
    feature = np.zeros((len(nodes), n_nodes), dtype=np.int16)
    threshold = np.zeros((len(nodes), n_nodes), dtype=np.float64)
    left = np.zeros((len(nodes), n_nodes), dtype=np.int16)
    right = np.zeros((len(nodes), n_nodes), dtype=np.int16)
    leaf = np.zeros((len(nodes), n_leaves), dtype=np.float32)
    for k, (tn, tl) in enumerate(zip(nodes, leaves, strict=True)):
        for i, (f, t, a, b) in enumerate(tn):
            feature[k, i], threshold[k, i], left[k, i], right[k, i] = f, t, a, b
        leaf[k, :len(tl)] = tl
    np.savez_compressed(path, feature=feature, threshold=threshold, left=left, right=right, leaf=leaf,
                        bias=np.float64(0.0), cutoff=np.float64(cutoff), depth=np.int32(depth),
                        cleaner_version=np.str_(CLEANER_VERSION))


def report(name: str, pages: list[PageLines], scores: dict[str, np.ndarray], cutoff: float) -> None:
    arts = sum(p.is_article for p in pages)
    p0, r0, f0, l0 = evaluate(pages, {}, cutoff)
    p1, r1, f1, l1 = evaluate(pages, scores, cutoff)
    print(f"{name} ({arts} articles): without model P {p0:.4f} R {r0:.4f} F1 {f0:.4f} leak {l0:.2%}; "
          f"with model P {p1:.4f} R {r1:.4f} F1 {f1:.4f} leak {l1:.2%} (cutoff {cutoff:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devsets", type=Path, help="../shared/devsets (articles and other pages)")
    ap.add_argument("--cache", type=Path, help="Pickle of the collected lines: read if present, else written.")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--article-weight", type=float, default=3.0,
                    help="Weight of an article page against a page of another kind.")
    ap.add_argument("--oof-all", action="store_true", help="Also 5-fold out-of-fold figures over all articles.")
    args = ap.parse_args()
    if args.cache and args.cache.exists():
        pages = pickle.loads(args.cache.read_bytes())
        for p in pages:
            if not hasattr(p, "without"):
                p.without = list(devsets.ground_truth(args.devsets, p.name).get("without") or [])
    else:
        pages = collect(args.devsets)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(pages))
    train = [p for p in pages if p.fold != devsets.HELDOUT]
    held = [p for p in pages if p.fold == devsets.HELDOUT]
    train_folds = sorted({p.fold for p in train})
    oof = out_of_fold(train, train_folds, args.article_weight)
    cutoff = best_cutoff(train, oof)
    report("train part, out of fold", train, oof, cutoff)
    model = fit(train, args.article_weight)
    export(model, cutoff, args.out)
    from cleaners.models.content import Forest
    shipped = Forest(args.out)
    held_scores = {p.name: shipped.predict(p.X) for p in held if len(p.lines)}
    report("held-back part (fold 0, never trained on)", held, held_scores, cutoff)
    if args.oof_all:
        every = out_of_fold(pages, list(range(devsets.FOLDS)), args.article_weight)
        report("all folds, out of fold", pages, every, cutoff)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
