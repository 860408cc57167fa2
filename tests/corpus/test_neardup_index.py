"""The near-duplicate index on disk: a base and one appended segment per version, compacted now and
then; a damaged or missing file is found by its checksum and the index rebuilt from the table with
the table's clusters. And the vectorised shingling reads the words the regex reads."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from corpus import neardup
from corpus.build import build
from corpus.neardup import INDEX_DIR, MANIFEST, NearDupIndex, shingle_hashes, signatures, words
from corpus.store import CorpusStore
from corpus.synthetic import syndication_set
from tests.corpus.test_scope_neardup_releases import GERMAN, STORY, STORY_2, _wire, jsonl

ODD = ["", "   ", "a", "un deux", "أَحْمَد  الإنتربول ـــ الأمن", "sûreté ÉCOLE straße ﬁn x_y 3,5 😀emoji😀 e\u0301cole",
       "\ud800 lone surrogate", "لا ﻻ", "tab\tand\nnew\u00a0line", "x" * 200_000 + " tail", "\u0301" * 5000,
       "😀" * 300, "\x00a\x00b"]


def test_vectorised_shingles_are_the_regex_words_five_at_a_time() -> None:
    texts = [STORY, STORY_2, GERMAN, *ODD]
    flat, offsets = shingle_hashes(texts)
    for i, text in enumerate(texts):
        w = words(text)
        grams = [" ".join(w[k:k + 5]) for k in range(max(len(w) - 4, 1))]
        hashes = flat[int(offsets[i]):int(offsets[i + 1])].tolist()
        assert len(hashes) == len(grams), text[:40]
        assert len(set(hashes)) == len(set(grams))  # equal shingles, equal hashes; different, different
        assert len(set(zip(grams, hashes, strict=True))) == len(set(grams))
    # folded as fold folds: case, accents (precomposed or not), Arabic letter forms
    a, b = shingle_hashes(["École de la Sûreté à Fès, أحمد"]), shingle_hashes(["e\u0301cole DE LA surete a fes, احمد"])
    assert (a[0] == b[0]).all()
    # a text's hashes do not depend on the texts beside it
    alone = signatures([STORY])
    assert (signatures([GERMAN, STORY, "x"])[1] == alone[0]).all()


def _docs(n_stories: int) -> list[tuple[str, str, bool, str]]:
    return [(d.doc_id, d.text, bool(d.credits), d.published_at or "") for d, _ in syndication_set(n_stories)]


def _partition(index: NearDupIndex) -> set[frozenset[str]]:
    return {frozenset(m) for m in index.clusters.values()}


def _files(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}


def test_segments_are_appended_and_loading_them_gives_the_same_index(tmp_path: Path) -> None:
    docs = _docs(40)
    cut = len(docs) * 7 // 10  # a large first version: its segments stay smaller than the base
    batches = [docs[:cut], docs[cut::3], docs[cut + 1::3], docs[cut + 2::3]]
    index = NearDupIndex(0.5)
    folder = tmp_path / INDEX_DIR
    before: dict[str, tuple[int, int, bytes]] = {}
    for version, batch in enumerate(batches):
        index.add(batch)
        if version == 2:
            index.remove([batches[0][0][0], batches[1][0][0]])
            index.add([(batches[0][1][0], batches[0][1][1] + " Update: the charges were confirmed.", False, "")])
        index.save(tmp_path, version)
        now = _files(folder)
        for name, stat in before.items():
            if name != MANIFEST:
                assert now[name] == stat, f"{name} was rewritten"  # same inode, mtime and bytes
        before = now
    assert sorted(before) == ["base-v0.npz", MANIFEST, "seg-v1.npz", "seg-v2.npz", "seg-v3.npz"]
    loaded = NearDupIndex.load(tmp_path, 3, 0.5)
    assert loaded is not None
    assert loaded.members == index.members and _partition(loaded) == _partition(index)
    assert all((loaded.signature_of(d) == index.signature_of(d)).all() for d in index.members)
    # the index built in one go clusters the same, and so does one rebuilt from the text
    one_go = NearDupIndex(0.5)
    one_go.add(docs)
    one_go.remove([batches[0][0][0], batches[1][0][0]])
    one_go.add([(batches[0][1][0], batches[0][1][1] + " Update: the charges were confirmed.", False, "")])
    assert _partition(one_go) == _partition(index)
    texts = {d: t for d, t, _, _ in docs}
    texts[batches[0][1][0]] += " Update: the charges were confirmed."
    rows = [(d, texts[d], m.credited, m.published_at, index.assignment(d)[0]) for d, m in index.members.items()]
    restored = NearDupIndex.restore(0.5, rows)
    assert _partition(restored) == _partition(index)
    assert all((restored.signature_of(d) == index.signature_of(d)).all() for d in index.members)
    # the next version of the restored index goes on clustering as the original does
    new = [(d + "-copy", t + " (MAP)", True, "2030-01-01") for d, t, _, _ in docs[:5]]
    assert index.add(new) == restored.add(new) and _partition(index) == _partition(restored)


def test_compaction_keeps_the_clusters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neardup, "MAX_SEGMENTS", 2)
    docs = _docs(30)
    index = NearDupIndex(0.5)
    index.add(docs[:40])
    index.save(tmp_path, 0)
    for version in range(1, 5):  # small segments: compacted when there are more than two
        index.add(docs[40 + version * 3:43 + version * 3])
        index.save(tmp_path, version)
    names = sorted(p.name for p in (tmp_path / INDEX_DIR).iterdir())
    assert names == ["base-v3.npz", MANIFEST, "seg-v4.npz"]
    loaded = NearDupIndex.load(tmp_path, 4, 0.5)
    assert loaded is not None and loaded.members == index.members and _partition(loaded) == _partition(index)
    # segments outweighing the base: compacted too
    index.add([(d, t + " Corrected.", c, p) for d, t, c, p in docs[:40]] + docs[55:])
    index.save(tmp_path, 5)
    assert sorted(p.name for p in (tmp_path / INDEX_DIR).iterdir()) == ["base-v5.npz", MANIFEST]
    loaded = NearDupIndex.load(tmp_path, 5, 0.5)
    assert loaded is not None and loaded.members == index.members and _partition(loaded) == _partition(index)


def _flip_a_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def test_a_damaged_or_missing_index_file_is_found_and_not_used(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    index = NearDupIndex(0.5)
    docs = _docs(10)
    for version, (lo, hi) in enumerate([(0, 25), (25, 30), (30, None)]):
        index.add(docs[lo:hi])
        index.save(tmp_path, version)
    folder = tmp_path / INDEX_DIR
    assert sorted(p.name for p in folder.iterdir()) == ["base-v0.npz", MANIFEST, "seg-v1.npz", "seg-v2.npz"]
    good = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert NearDupIndex.load(tmp_path, 2, 0.5) is not None
    assert NearDupIndex.load(tmp_path, 3, 0.5) is None, "an index of another version is not used"
    damages = {"seg-v1.npz": lambda p: p.write_bytes(p.read_bytes()[:-100]),  # truncated
               "seg-v2.npz": lambda p: p.unlink(),
               "base-v0.npz": _flip_a_bit,  # same size, other bytes
               MANIFEST: lambda p: p.write_text(p.read_text()[:50])}
    for name, damage in damages.items():
        damage(folder / name)
        with caplog.at_level(logging.WARNING, logger="corpus.neardup"):
            caplog.clear()
            assert NearDupIndex.load(tmp_path, 2, 0.5) is None
        assert name in caplog.text or "unusable" in caplog.text
        for n, data in good.items():
            (folder / n).write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["segments"][0]["sha256"] = "0" * 64
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert NearDupIndex.load(tmp_path, 2, 0.5) is None


def _clusters(store: CorpusStore) -> dict[str, tuple[str | None, bool]]:
    t = store.read(columns=["doc_id", "near_dup_cluster", "is_canonical"]).to_pylist()
    return {r["doc_id"]: (r["near_dup_cluster"], r["is_canonical"]) for r in t}


def test_a_truncated_segment_is_rebuilt_from_the_table_with_the_same_clusters(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    corpus = tmp_path / "corpus"
    build([jsonl(tmp_path / "b0" / "d.jsonl", [_wire(1, "Rif Herald"), _wire(2, None)])], corpus)
    build([jsonl(tmp_path / "b1" / "d.jsonl", [_wire(1, None)])], corpus)
    store = CorpusStore(corpus)
    before = _clusters(store)
    assert len({c for c, _ in before.values() if c}) == 1
    seg = corpus / INDEX_DIR / "seg-v1.npz"
    seg.write_bytes(seg.read_bytes()[:200])
    with caplog.at_level(logging.WARNING):
        build([jsonl(tmp_path / "b2" / "d.jsonl", [_wire(1, "Casa Post")])], corpus)
    assert "seg-v1.npz is truncated or altered" in caplog.text
    assert "rebuilding it from the table" in caplog.text
    after = _clusters(store)
    assert {d: after[d] for d in before} == before, "the rebuild moved no document"
    (copy2,) = after.keys() - before.keys()
    cluster = next(c for c, _ in before.values() if c)
    assert after[copy2] == (cluster, False), "the new copy joins the story's cluster"
    index = NearDupIndex.load(corpus, store.latest_version(), 0.5)
    assert index is not None and sorted(p.name for p in (corpus / INDEX_DIR).iterdir()) == ["base-v2.npz", MANIFEST]
    assert {d: index.assignment(d) for d in after} == after


@pytest.mark.parametrize("pending", [neardup.PENDING_PAIRS, 50])
def test_a_story_copied_thousands_of_times_is_one_cluster_in_buckets_of_bounded_size(
        pending: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every placement compares with the documents of its buckets: unbounded, 100,000 copies of one
    story took hours (each compared with all before it). A bucket holds BUCKET_CAP documents.
    `pending`: 50 puts the buckets in many merged sorted levels, as a large build does."""
    monkeypatch.setattr(neardup, "PENDING_PAIRS", pending)
    copies = [(f"copy-{i:05d}", f"{STORY} Reported by desk {i % 7}.", i % 3 == 0, f"2026-01-{1 + i % 28:02d}")
              for i in range(3 * neardup.BUCKET_CAP + 100)]
    index = NearDupIndex(0.5)
    index.add(copies)
    index.add([("other", GERMAN, False, "")])
    assert index.bucket_sizes().max() == neardup.BUCKET_CAP
    assert bool(index._levels) == (pending == 50)
    index.save(tmp_path, 0)  # loaded, its buckets are filled in one sort: the same ones
    loaded = NearDupIndex.load(tmp_path, 0, 0.5)
    assert loaded is not None and sorted(loaded.bucket_sizes()) == sorted(index.bucket_sizes())
    assert [len(c) for c in index.clusters.values()] == [len(copies), 1]
    canonical = [d for d, _, _, _ in copies if index.assignment(d)[1]]
    assert canonical == ["copy-00028"]  # of the uncredited (i % 3 != 0), the first on 2026-01-01
    assert index.assignment("other") == (None, True)
    # removing copies (some of them hold the buckets) keeps the rest findable and the canonical right
    index.remove([f"copy-{i:05d}" for i in range(0, 2 * neardup.BUCKET_CAP)])
    index.add([("late", f"{STORY} Reported by desk 9.", False, "2025-12-31")])
    assert index.assignment("late") == (index.members["copy-00100"].cluster, True)


def test_buckets_in_sorted_levels_cluster_as_buckets_in_one_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large build's band buckets are merged into sorted levels PENDING_PAIRS at a time: the
    clusters, canonicals and what a removal changes are those of an index that never merges."""
    docs = _docs(40)

    def run() -> tuple[NearDupIndex, dict[str, tuple[str | None, bool]]]:
        index = NearDupIndex(0.5)
        index.add(docs[:len(docs) // 2])
        index.remove([d for d, _, _, _ in docs[:len(docs) // 2:4]])
        index.add(docs[len(docs) // 2:] + [(d, t + " Corrected.", c, p) for d, t, c, p in docs[1:20]])
        return index, {d: index.assignment(d) for d in index.members}

    whole, expected = run()
    assert not whole._levels  # a few hundred documents: every pair still pending
    monkeypatch.setattr(neardup, "PENDING_PAIRS", 64)
    merged, got = run()
    assert len(merged._levels) >= 2 and got == expected and _partition(merged) == _partition(whole)
    assert len({c for c, _ in expected.values() if c}) >= 30  # the syndication set's clusters are there
