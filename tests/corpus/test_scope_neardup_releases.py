"""Scope and the rejected table, near-duplicate clusters across builds, releases, diffs, vacuum and
the build lock: real Delta tables, the real CLI where users meet it."""

from __future__ import annotations

import itertools
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from cleaners.document import make_doc_id as _doc_id
from corpus.build import build
from corpus.neardup import INDEX_DIR, NearDupIndex
from corpus.scope import ConfigError, ScopeConfig
from corpus.store import CorpusError, CorpusStore, VacuumedVersion
from corpus.synthetic import syndication_set
from crawler.lock import EXIT_LOCKED, dir_lock
from tests.corpus.test_build import cli

STORY = ("Les services de la DGSN à Fès ont interpellé mardi un ressortissant étranger recherché par "
         "Interpol pour escroquerie internationale, selon un communiqué publié dans la soirée. Le suspect "
         "faisait l'objet d'une notice rouge émise par les autorités de son pays. Il a été placé en garde "
         "à vue sous la supervision du parquet compétent, en attendant la procédure d'extradition. "
         "L'enquête se poursuit pour identifier ses éventuels complices au Maroc et à l'étranger.")
STORY_2 = ("À Casablanca, la police judiciaire a démantelé samedi un réseau de trafic de voitures volées en "
           "Europe, en coordination avec Interpol, a indiqué la DGSN dans un communiqué. Quatre personnes, "
           "dont un garagiste, ont été arrêtées et onze véhicules de luxe saisis dans deux entrepôts du port. "
           "Les voitures, maquillées avec de faux numéros de châssis, devaient être revendues dans le sud.")
OFF_TOPIC = ("Le festival de musique de la ville a attiré cette année plus de cent mille visiteurs venus "
             "de tout le pays pour écouter des artistes locaux et internationaux pendant quatre jours de "
             "concerts en plein air, selon les organisateurs qui se disent satisfaits du bilan final.")
GERMAN = ("Die marokkanische Polizei DGSN hat am Dienstag in Fes einen Mann festgenommen, der von Interpol "
          "wegen internationalen Betrugs gesucht wurde, teilte die Behörde am Abend mit. Der Verdächtige "
          "wurde in Gewahrsam genommen, bis über seine Auslieferung entschieden ist, hieß es weiter.")


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_out_of_scope_documents_go_to_the_rejected_table_with_a_reason(tmp_path: Path) -> None:
    dump = jsonl(tmp_path / "in" / "dump.jsonl", [
        {"url": "https://a.example/1", "title": "Arrestation à Fès", "text": STORY},
        {"url": "https://a.example/2", "title": "Festival", "text": OFF_TOPIC},
        {"url": "https://a.example/3", "title": "DGSN", "text": "La DGSN a publié un communiqué."},
        {"url": "https://a.example/4", "title": "Festnahme", "text": GERMAN},
        {"url": "https://a.example/5", "title": "Vide", "text": "   "},
        {"url": "https://a.example/6", "title": "Chrome", "text": "Exit mobile version"},
        {"url": "https://b.example/copy", "title": "Arrestation à Fès", "text": STORY},
    ])
    # without the scope prefilter, which would reject the off-topic ones before cleaning them
    report = build([dump], tmp_path / "corpus", prefilter=False)
    store = CorpusStore(tmp_path / "corpus")
    kept = store.read().to_pylist()
    # Two identical texts, neither dated: the smaller doc_id stays (a stable choice), the other is rejected.
    same = sorted([("https://a.example/1"), ("https://b.example/copy")], key=lambda u: _doc_id(u))
    assert [d["url"] for d in kept] == same[:1]
    assert kept[0]["topics"] == ["DGSN", "Interpol"] and kept[0]["topic_score"] > 0
    rejected = {r["url"]: (r["reason"], r["detail"]) for r in store.rejected().to_pylist()}
    assert rejected["https://a.example/2"][0] == "out_of_scope"
    assert rejected["https://a.example/3"][0] == "too_short"
    assert rejected["https://a.example/4"][0] == "language"
    assert rejected[same[1]] == ("duplicate_content", kept[0]["doc_id"])
    # Nothing but chrome: a document with an empty text, rejected. No text at all: a counted skip.
    assert rejected["https://a.example/6"][0] == "empty"
    assert report.read["skipped:jsonl_no_html_or_text"] == 1
    meta = store.history()[-1].metadata
    assert meta["rejected"] == report.rejected and len(meta["config_hash"]) == 16


def test_configured_topics_languages_and_bad_configuration(tmp_path: Path) -> None:
    config = tmp_path / "scope.yaml"
    config.write_text("languages: [fr, de]\nmin_words: 10\ntopics:\n  Festivals:\n    festival: '\\bfestival\\b'\n",
                      encoding="utf-8")
    dump = jsonl(tmp_path / "in" / "d.jsonl", [{"url": "https://a.example/2", "text": OFF_TOPIC},
                                                {"url": "https://a.example/4", "text": GERMAN}])
    build([dump], tmp_path / "corpus", ScopeConfig.load(config))
    rows = CorpusStore(tmp_path / "corpus").read().to_pylist()
    assert sorted((r["url"], tuple(r["topics"])) for r in rows) == [
        ("https://a.example/2", ("Festivals",)), ("https://a.example/4", ("DGSN", "Interpol"))]
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics:\n  X:\n    y: '(unclosed'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml"):
        ScopeConfig.load(bad)
    proc = cli("build", dump, "--corpus", tmp_path / "c2", "--config", bad, check=False)
    assert proc.returncode == 2 and "bad.yaml" in proc.stderr and not (tmp_path / "c2").exists()


def _pairs(labels: dict[str, object]) -> set[tuple[str, str]]:
    groups: dict[object, list[str]] = defaultdict(list)
    for doc_id, label in labels.items():
        groups[label].append(doc_id)
    return {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}


def test_near_duplicate_recall_and_precision_on_a_generated_syndication_set() -> None:
    docs = list(syndication_set(400))
    index = NearDupIndex(ScopeConfig().near_dup_threshold)
    index.add((d.doc_id, d.text, bool(d.credits), d.published_at) for d, _ in docs)
    truth = _pairs({d.doc_id: story for d, story in docs})
    found = _pairs({d.doc_id: index.members[d.doc_id].cluster for d, _ in docs})
    assert len(truth & found) / len(truth) >= 0.95
    assert len(truth & found) / len(found) >= 0.99
    canonical: dict[str, list[str]] = defaultdict(list)
    for d, _ in docs:
        cluster, is_canonical = index.assignment(d.doc_id)
        if is_canonical:
            canonical[cluster or d.doc_id].append(d.doc_id)
        if cluster is not None and is_canonical:
            assert not d.credits, "the wire original, not a crediting copy, is canonical"
    assert all(len(v) == 1 for v in canonical.values())


def _wire(n: int, outlet: str | None) -> dict:
    """A wire story, as the agency published it (outlet None) or as an outlet copied it."""
    lead = f"{outlet} a appris que " if outlet else ""
    text = f"{lead}{STORY if n == 1 else STORY_2}\nLe dossier numéro {n} a été transmis au parquet de la ville."
    return {"url": f"https://{outlet or 'wire'}.example/{n}".lower().replace(" ", ""),
            "title": f"Arrestation numéro {n} à Fès", "text": text + (" (MAP)" if outlet else ""),
            "published_at": f"2025-05-0{1 if outlet is None else 2}"}


def test_clusters_span_builds_and_the_original_becomes_canonical(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    build([jsonl(tmp_path / "b1" / "d.jsonl", [_wire(1, "Rif Herald")])], corpus)
    store = CorpusStore(corpus)
    (copy1,) = store.read().to_pylist()
    assert copy1["near_dup_cluster"] is None and copy1["is_canonical"]
    # The agency's original arrives in a later build: same cluster, and it takes the canonical flag.
    report = build([jsonl(tmp_path / "b2" / "d.jsonl", [_wire(1, None)])], corpus)
    assert report.counts["added"] == 1 and report.counts["reclustered"] == 1
    rows = {r["url"]: r for r in store.read().to_pylist()}
    original, copy1 = rows["https://wire.example/1"], rows["https://rifherald.example/1"]
    assert original["near_dup_cluster"] == copy1["near_dup_cluster"] is not None
    assert original["is_canonical"] and not copy1["is_canonical"]
    assert copy1["credits"] == ["MAP"]
    # A lost index (killed after the commit) is rebuilt from the table, and clustering goes on.
    shutil.rmtree(corpus / INDEX_DIR)
    build([jsonl(tmp_path / "b3" / "d.jsonl", [_wire(1, "Casa Post"), _wire(2, None)])], corpus)
    rows = store.read().to_pylist()
    clusters = defaultdict(list)
    for r in rows:
        clusters[r["near_dup_cluster"] or r["doc_id"]].append(r)
    sizes = sorted(len(v) for v in clusters.values())
    assert sizes == [1, 3], "the second copy of story 1 joins its cluster; story 2 stands alone"
    assert all(sum(r["is_canonical"] for r in members) == 1 for members in clusters.values())
    index = NearDupIndex.load(corpus, store.latest_version(), 0.5)
    assert index is not None and len(index.members) == 4


def test_releases_diff_and_vacuum_keep_released_versions(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    build([jsonl(tmp_path / "b1" / "d.jsonl", [_wire(1, None)])], corpus)
    assert "release first = version 0" in cli("release", "create", "first", "--corpus", corpus).stdout
    assert cli("release", "create", "first", "--corpus", corpus, check=False).returncode == 2
    changed = dict(_wire(1, None), text=_wire(1, None)["text"].replace("mardi", "mercredi"))
    other = {"url": "https://a.example/z", "title": "Autre affaire",
             "text": STORY.replace("Fès", "Oujda").replace("escroquerie", "trafic de drogue") + " Deuxième affaire."}
    build([jsonl(tmp_path / "b2" / "d.jsonl", [changed, other])], corpus)
    build([jsonl(tmp_path / "b3" / "d.jsonl", [dict(other, text=other["text"] + " Mise à jour.")])], corpus)
    out = cli("diff", "first", "2", "--corpus", corpus).stdout
    assert out.splitlines()[0] == "version 0 -> 2: 1 added, 0 removed, 1 changed"
    store = CorpusStore(corpus)
    wire_id = store.read(0).column("doc_id")[0].as_py()
    shown = cli("diff", "first", "1", "--corpus", corpus, "--show", wire_id).stdout
    assert "-" + STORY[:40] in shown.replace("\n", "") or any(
        line.startswith("-") and "mardi" in line for line in shown.splitlines())
    assert any(line.startswith("+") and "mercredi" in line for line in shown.splitlines())
    assert "first\t0\t" in cli("release", "list", "--corpus", corpus).stdout
    # Vacuum with no retention: version 1 (not released) loses its files, version 0 (released) keeps them.
    deleted = cli("vacuum", "--corpus", corpus, "--retention-hours", "0").stdout.split()
    assert deleted
    assert store.read(store.resolve("first")).num_rows == 1
    with pytest.raises(VacuumedVersion, match=r"version 1 of .* was vacuumed .*readable versions: 0, 2-4$"):
        store.read(1)
    with pytest.raises(CorpusError, match="no release"):
        store.resolve("nope")


def test_a_second_build_waits_or_fails_clearly_and_the_table_is_intact(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    dump = jsonl(tmp_path / "b1" / "d.jsonl", [_wire(1, None)])
    build([dump], corpus)
    before = CorpusStore(corpus).latest_version()
    with dir_lock(corpus, "_build.lock", what="build"):
        proc = cli("build", jsonl(tmp_path / "b2" / "d.jsonl", [_wire(2, None)]), "--corpus", corpus, check=False)
    assert proc.returncode == EXIT_LOCKED
    assert "another build" in proc.stderr and "untouched" in proc.stderr
    assert CorpusStore(corpus).latest_version() == before
    assert "version 1" in cli("build", tmp_path / "b2", "--corpus", corpus, "--wait", "5").stdout
