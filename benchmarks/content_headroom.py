"""How much the content model could still give, and what candidate signals add: out-of-fold on
the train part (its four folds by site) and on the held-back part, same split and labels as
cleaners/models/train_content.py.

    .venv/bin/pip install -c constraints.txt -e '.[train]'
    .venv/bin/python benchmarks/content_headroom.py ../shared/devsets [--cache FILE] [--no-agreement] [--sweep]

Rows printed (P, R, F1 and "without" leakage of the article pages, mean per page):
- rules only: the text clean_html gives with the model off;
- model: the shipped feature set, trained as train_content.py trains it;
- label ceiling: every line the labels call boilerplate dropped, none other: the most a model
  that drops whole lines could reach;
- + stacked context: a second model that also sees the first one's scores of the neighbouring
  lines (runs of boilerplate);
- + lexical cohesion: four columns more, how many of the line's content words (4+ letters, not a
  stopword) the page's body paragraphs use elsewhere (script-neutral: no word list but STOPWORDS);
- + hashed words: one column more, a line's words themselves: the mean Naive-Bayes log-count ratio
  of its hashed word unigrams and bigrams (numpy, fit on the other train folds, so out of fold);
- without noisy pages: the shipped features, trained without the pages whose rules-only text has
  precision under 0.5 (a ground truth much narrower than the page's text), scored on all;
- + agreement: two columns more, whether the line is in trafilatura's favor_precision and
  favor_recall extractions of the page (two extractions more per page: slower).
`--sweep` also trains the shipped features under other LightGBM settings (out of fold only).
`--cache` is the train_content.py pickle of the collected lines (read if present, else written).
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cleaners.models import devsets  # noqa: E402
from cleaners.models import train_content as tc  # noqa: E402
from cleaners.models.content import STOPWORDS, _is_body  # noqa: E402

_WORD = re.compile(r"\w+")
BUCKETS = 2**18  # hashed words: the bucket space, and B, the smoothing's vocabulary size


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


class _Unpickler(pickle.Unpickler):
    """train_content.py run with -m pickles its PageLines as __main__.PageLines."""

    def find_class(self, module: str, name: str):
        return tc.PageLines if name == "PageLines" else super().find_class(module, name)


def neighbour_scores(s: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The first model's score of each line, its neighbours', windows of 1, 2 and 5 lines around
    it, and the page's mean (plain and by words)."""
    n = len(s)
    csum = np.concatenate(([0.0], np.cumsum(s)))
    cols = [s, np.concatenate(([s[0]], s[:-1])), np.concatenate((s[1:], [s[-1]]))]
    for k in (1, 2, 5):
        lo, hi = np.clip(np.arange(n) - k, 0, n), np.clip(np.arange(n) + k + 1, 0, n)
        cols.append((csum[hi] - csum[lo]) / (hi - lo))
    cols += [np.full(n, s.mean()), np.full(n, (s * words).sum() / max(words.sum(), 1.0))]
    return np.column_stack(cols).astype(np.float32)


def cohesion(lines: list[str]) -> np.ndarray:
    """Per line: share of its content words in other body paragraphs, and in other lines; the mean
    log count of body paragraphs using them; log of how many it has."""
    words = [{t for t in _WORD.findall(line.lower()) if len(t) >= 4 and t not in STOPWORDS and not t.isdigit()}
             for line in lines]
    body = [_is_body(len(line.split()), line) for line in lines]
    page: dict[str, int] = {}
    in_body: dict[str, int] = {}
    for ws, b in zip(words, body, strict=True):
        for w in ws:
            page[w] = page.get(w, 0) + 1
            if b:
                in_body[w] = in_body.get(w, 0) + 1
    rows = []
    for ws, b in zip(words, body, strict=True):
        if not ws:
            rows.append((0.0, 0.0, 0.0, 0.0))
            continue
        elsewhere = [in_body.get(w, 0) - b for w in ws]
        rows.append((sum(n > 0 for n in elsewhere) / len(ws), sum(page[w] > 1 for w in ws) / len(ws),
                     float(np.mean(np.log1p(elsewhere))), float(np.log1p(len(ws)))))
    return np.array(rows, dtype=np.float32).reshape(len(lines), 4)


def agreement(pages: list[tc.PageLines], root: Path) -> None:
    """Append to each page's rows whether the line is in trafilatura's precision and recall
    extractions."""
    import trafilatura

    html = {p.name: (p.html, p.url) for p in devsets.load(root, "all")}
    for p in pages:
        if not len(p.lines):
            continue
        text, url = html[p.name]
        cols = []
        for mode in ("favor_precision", "favor_recall"):
            other = f" {_norm(trafilatura.extract(text, url=url, **{mode: True}) or '')} "
            cols.append([float(bool(key) and f" {key} " in other) for key in map(_norm, p.lines)])
        p.X = np.hstack([p.X, np.array(cols, dtype=np.float32).T])


def hashed_words(lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A page's (line index, bucket) pairs: the distinct hashed unigrams and bigrams of each line's
    lowercase words, an all-digit word as "#" (dates, counts: no vocabulary of their own). zlib.crc32,
    not hash(): Python salts str hashes per process, and the figures must rerun the same."""
    rows: list[int] = []
    cols: list[int] = []
    for i, text in enumerate(lines):
        toks = ["#" if t.isdigit() else t for t in _WORD.findall(text.lower())]
        grams = [*toks, *map(" ".join, zip(toks, toks[1:], strict=False))]
        found = sorted({zlib.crc32(g.encode()) % BUCKETS for g in grams})  # binary: a bucket once a line
        rows += [i] * len(found)
        cols += found
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


Grams = dict[str, tuple[np.ndarray, np.ndarray]]


def log_count_ratio(pages: list[tc.PageLines], grams: Grams, article_weight: float = 3.0) -> np.ndarray:
    """Per bucket, the weighted Naive-Bayes log-count ratio, boilerplate over content, lines weighted
    as tc.fit weighs them. alpha = 1; B = all 2**18 buckets, not the ones seen: the smoothing then
    does not depend on which buckets a fold's pages happen to hold."""
    used = [p for p in pages if len(p.lines)]
    w = np.concatenate([(p.w * (article_weight if p.is_article else 1.0) * len(pages))[grams[p.name][0]]
                        for p in used])
    boiler = np.concatenate([p.y[grams[p.name][0]] for p in used]) == 1
    col = np.concatenate([grams[p.name][1] for p in used])
    p_, q_ = np.bincount(col[boiler], w[boiler], BUCKETS), np.bincount(col[~boiler], w[~boiler], BUCKETS)
    return np.log((p_ + 1.0) / (p_.sum() + BUCKETS)) - np.log((q_ + 1.0) / (q_.sum() + BUCKETS))


def lexical_score(r: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """Mean ratio over each line's buckets (a mean, not NB's sum, so long lines are not extreme by
    length alone); 0 for a line without a word."""
    return np.bincount(rows, r[cols], n) / np.maximum(np.bincount(rows, minlength=n), 1)


def lexical(train: list[tc.PageLines], held: list[tc.PageLines],
            grams: Grams) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The lexical score of the train part's lines from ratios of the other train folds (so the
    column stacked on it never saw the line's own label), and of the held-back lines from ratios of
    the whole train part."""
    oof: dict[str, np.ndarray] = {}
    for k in sorted({p.fold for p in train}):
        r = log_count_ratio([p for p in train if p.fold != k], grams)
        oof |= {p.name: lexical_score(r, *grams[p.name], len(p.lines)) for p in train if p.fold == k and len(p.lines)}
    r = log_count_ratio(train, grams)
    return oof, {p.name: lexical_score(r, *grams[p.name], len(p.lines)) for p in held if len(p.lines)}


def scored(train: list[tc.PageLines], held: list[tc.PageLines]):
    """Out-of-fold scores of the train part, the held-back part's from a model of the whole train
    part, and the cutoff tuned on the former."""
    oof = tc.out_of_fold(train, sorted({p.fold for p in train}), 3.0)
    model = tc.fit(train, 3.0)
    return oof, {p.name: model.predict(p.X) for p in held if len(p.lines)}, tc.best_cutoff(train, oof)


def line(name: str, train, held, scores_train, scores_held, cutoff: float, seconds: float | None = None) -> None:
    a, b = tc.evaluate(train, scores_train, cutoff), tc.evaluate(held, scores_held, cutoff)
    took = f"  ({seconds:.0f} s)" if seconds is not None else ""
    print(f"{name:<22} train OOF P {a[0]:.4f} R {a[1]:.4f} F1 {a[2]:.4f} leak {a[3]:.2%} | "
          f"held-back P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f} leak {b[3]:.2%}  cutoff {cutoff:.2f}{took}", flush=True)


def auc(y: np.ndarray, s: np.ndarray, w: np.ndarray | None = None) -> float:
    """Area under the ROC curve (ties counted half), optionally weighted."""
    w = np.ones(len(y)) if w is None else w
    order = np.argsort(s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    pos, neg = w * (y == 1), w * (y == 0)
    _, start = np.unique(s, return_index=True)
    ends = np.append(start[1:], len(s))
    area = below = 0.0
    for a, b in zip(start, ends, strict=True):
        p, n = pos[a:b].sum(), neg[a:b].sum()
        area += p * (below + n / 2)
        below += n
    return float(area / max(pos.sum() * neg.sum(), 1e-12))


def gap_of_pages(pages: list[tc.PageLines], scores, labels, cutoff: float, top: int = 20) -> None:
    """How the F1 between the model and the label ceiling spreads over the article pages."""
    gaps = []
    for p in pages:
        if p.is_article and len(p.lines):
            f_model = tc.evaluate([p], scores, cutoff)[2]
            f_ceiling = tc.evaluate([p], labels, 0.5)[2]
            gaps.append((f_ceiling - f_model, p.name))
    gaps.sort(reverse=True)
    share = sum(g for g, _ in gaps[:top]) / sum(g for g, _ in gaps)
    print(f"  train OOF: the {top} pages of {len(gaps)} with the widest gap hold {share:.0%} of it; widest: "
          + ", ".join(f"{name} {g:.2f}" for g, name in gaps[:5]))


SWEEP = {"15 leaves, depth 5, 300 rounds": ({"num_leaves": 15, "max_depth": 5}, 300, 3.0),
         "63 leaves, no depth limit": ({"num_leaves": 63, "max_depth": -1}, 200, 3.0),
         "min 50 rows a leaf": ({"min_data_in_leaf": 50}, 200, 3.0),
         "learning rate 0.1": ({"learning_rate": 0.1}, 200, 3.0),
         "400 rounds": ({}, 400, 3.0), "article weight 1": ({}, 200, 1.0), "article weight 10": ({}, 200, 10.0)}


def sweep(train: list[tc.PageLines]) -> None:
    params, rounds = dict(tc.PARAMS), tc.ROUNDS
    try:
        for name, (change, n, weight) in SWEEP.items():
            tc.PARAMS, tc.ROUNDS = {**params, **change}, n
            oof = tc.out_of_fold(train, sorted({p.fold for p in train}), weight)
            cutoff = tc.best_cutoff(train, oof)
            p_, r_, f_, leak = tc.evaluate(train, oof, cutoff)
            print(f"  sweep {name:<32} train OOF P {p_:.4f} R {r_:.4f} F1 {f_:.4f} leak {leak:.2%} cutoff {cutoff:.2f}",
                  flush=True)
    finally:
        tc.PARAMS, tc.ROUNDS = params, rounds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devsets", type=Path, help="../shared/devsets (articles and other pages)")
    ap.add_argument("--cache", type=Path, help="train_content.py's pickle of the collected lines.")
    ap.add_argument("--no-agreement", action="store_true", help="Skip the two extra extractions a page.")
    ap.add_argument("--sweep", action="store_true", help="Also other LightGBM settings (out of fold).")
    args = ap.parse_args()
    if args.cache and args.cache.exists():
        with args.cache.open("rb") as fh:
            pages = _Unpickler(fh).load()
    else:
        pages = tc.collect(args.devsets)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(pages))
    train = [p for p in pages if p.fold != devsets.HELDOUT]
    held = [p for p in pages if p.fold == devsets.HELDOUT]
    line("rules only", train, held, {}, {}, 0.5)
    start = time.perf_counter()
    oof, held_scores, cutoff = scored(train, held)
    line("model", train, held, oof, held_scores, cutoff, time.perf_counter() - start)
    arts = [p for p in train if p.is_article and len(p.lines)]
    y, sc, w = (np.concatenate(v) for v in zip(*((p.y, oof[p.name], p.w) for p in arts), strict=True))
    print(f"  train OOF AUC over article lines {auc(y, sc):.3f}, weighted by words {auc(y, sc, w):.3f}")
    if args.sweep:
        sweep(train)
    labels = {p.name: p.y.astype(np.float64) for p in pages if len(p.lines)}
    line("label ceiling", train, held, labels, labels, 0.5)
    gap_of_pages(train, oof, labels, cutoff)
    base = {p.name: p.X for p in pages}
    start = time.perf_counter()
    for p in pages:
        if len(p.lines):
            s = oof[p.name] if p.fold != devsets.HELDOUT else held_scores[p.name]
            p.X = np.hstack([p.X, neighbour_scores(s, np.expm1(p.X[:, 1]))])
    line("+ stacked context", train, held, *scored(train, held), time.perf_counter() - start)
    for p in pages:
        p.X = base[p.name] if not len(p.lines) else np.hstack([base[p.name], cohesion(p.lines)])
    line("+ lexical cohesion", train, held, *scored(train, held))
    start = time.perf_counter()
    grams = {p.name: hashed_words(p.lines) for p in pages}
    lex_train, lex_held = lexical(train, held, grams)
    lex = lex_train | lex_held
    for p in pages:  # hstack copies: the cached base columns stay as they are for the rows below
        p.X = base[p.name] if not len(p.lines) else np.hstack([base[p.name], lex[p.name][:, None].astype(np.float32)])
    line("+ hashed words", train, held, *scored(train, held), time.perf_counter() - start)
    for p in pages:
        p.X = base[p.name]
    clean = [p for p in train if not p.is_article or devsets.prf("\n".join(p.lines), p.gold)[0] >= 0.5]
    oof = tc.out_of_fold(train, sorted({p.fold for p in train}), 3.0, trained_on=clean)
    model = tc.fit(clean, 3.0)
    line(f"without noisy pages ({len(train) - len(clean)})", train, held, oof,
         {p.name: model.predict(p.X) for p in held if len(p.lines)}, tc.best_cutoff(train, oof))
    if not args.no_agreement:
        start = time.perf_counter()
        agreement(pages, args.devsets)
        line("+ agreement", train, held, *scored(train, held), time.perf_counter() - start)


if __name__ == "__main__":
    main()
