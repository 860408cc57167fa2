"""Generated CC-NEWS-shaped WARC files for the archive benchmarks (archive_scan.py, warc_read.py):
written with warcio as Common Crawl writes them, one gzip member per record, each file a warcinfo
record then per page a request, a response and a metadata record. Payloads are stored decoded
with the encoding headers renamed (X-Crawler-Content-Encoding), a few responses carry no
Content-Type (WARC-Identified-Payload-Type tells it), a few are redirects, 404s or PDFs.

Pages vary as news pages do: sizes (a log-normal body, inline scripts and styles, menus, related
links, footers), thirteen languages, and boilerplate. A share of them (0.5 % by default) is in
scope: Arabic, French or English stories naming the DGSN or Interpol; the rest is off-topic news.
Files are written in parallel (`workers`), each from its own seed, so a set is the same every run.
"""

from __future__ import annotations

import io
import math
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# A few hundred frequent words a language identifier knows the language by (written for this
# benchmark; no sentence here comes from a real page).
VOCAB = {
    "en": "the of and to in a is that for it was on with as he be at by this had from but not are or have "
          "they which one you were her all she there would their we him been has when who will more no if "
          "out so said what up its about into than them can only other new some could time these two may "
          "then do first any my now such like our over man me even most made after also did many before "
          "must through back years where much your way well down should because each just those people "
          "city council market weather season team match government minister week report school local",
    "fr": "le de la et les des en un une du est que pour dans qui par sur pas au plus ne se il elle sont "
          "avec ce nous mais ou son sa ses leurs leur aussi comme tout bien été fait être deux ans après "
          "entre depuis très sans encore alors même pendant avant toujours contre ville conseil marché "
          "saison équipe match gouvernement ministre semaine rapport école région habitants projet prix",
    "ar": "في من على إلى أن عن مع هذا هذه التي الذي كان قد لا ما هو هي بين بعد قبل كل أو ثم حتى عند "
          "خلال منذ حيث وقد كما أيضا لم لن إن عام يوم مدينة الحكومة الوزير المجلس السوق الموسم الفريق "
          "المباراة الأسبوع التقرير المدرسة المنطقة السكان المشروع الأسعار الطقس الجديد الأول الثاني",
    "es": "el la de que y en los se del las un por con no una su para es al lo como más pero sus le ya o "
          "este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos "
          "durante todos uno les ni contra otros ciudad consejo mercado temporada equipo partido gobierno",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an "
          "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war "
          "haben nur oder aber vor zur bis mehr durch man Stadt Rat Markt Saison Mannschaft Spiel Regierung",
    "it": "di e il la che in a per un è non una del con sono le si da al dei più nel anche come alla ma "
          "della gli ha lo se delle questo nella tra cui ci suo sua loro essere dopo quando stato città "
          "consiglio mercato stagione squadra partita governo ministro settimana rapporto scuola regione",
    "pt": "de a o que e do da em um para é com não uma os no se na por mais as dos como mas foi ao ele "
          "das tem à seu sua ou ser quando muito há nos já está eu também só pelo pela até isso ela entre "
          "depois sem mesmo aos ter seus cidade conselho mercado temporada equipe jogo governo ministro",
    "tr": "bir ve bu da de için ile olarak daha çok en gibi kadar sonra olan ama ancak her şey yeni iki "
          "büyük kendi önce yıl gün zaman ilk son şehir belediye pazar sezon takım maç hükümet bakan hafta "
          "rapor okul bölge halk proje fiyat hava durumu açıkladı söyledi göre değil var yok",
    "nl": "de het een en van in is op te dat die voor met zijn niet aan er ook als bij door maar om dan "
          "nog wel naar uit over geen tot ze hij kan worden meer werd wordt al jaar stad raad markt seizoen "
          "ploeg wedstrijd regering minister week rapport school regio inwoners project prijs weer",
    "id": "yang dan di itu dengan untuk tidak ini dari dalam akan pada juga ke karena tersebut bisa ada "
          "mereka lebih kata sudah saat oleh menjadi orang kami telah harus secara masih hari tahun kota "
          "dewan pasar musim tim pertandingan pemerintah menteri minggu laporan sekolah wilayah warga",
    "ru": "и в не на я что он с как а то все она так его но да ты к у же вы за бы по только ее мне было "
          "вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или год город совет рынок "
          "сезон команда матч правительство министр неделя доклад школа регион жители проект цены",
    "pl": "i w nie na się z do to że jest o jak ale po co tak za od już jego przez może dla tylko jej są "
          "czy by ich był była było przy także bardzo lat roku miasto rada rynek sezon drużyna mecz rząd "
          "minister tydzień raport szkoła region mieszkańcy projekt ceny pogoda",
    "sv": "och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi "
          "så kan man när år säger hon under också efter eller nu sin där vid mot ska stad kommun marknad "
          "säsong laget matchen regeringen ministern veckan rapporten skolan regionen invånare",
}
VOCAB_WORDS = {lang: words.split() for lang, words in VOCAB.items()}
IN_SCOPE_LANGUAGES = ("ar", "fr", "en")
# Sentences of an in-scope story, each naming a term of cleaners.topics (written for this benchmark).
TOPIC_SENTENCES = {
    "en": ["Officers of the DGSN arrested a man wanted under an Interpol red notice",
           "The General Directorate of National Security said the suspect was handed to the prosecutor",
           "Interpol had circulated the notice at the request of a foreign court"],
    "fr": ["La Direction générale de la sûreté nationale a interpellé un suspect recherché par Interpol",
           "Les services de la Sûreté nationale ont placé le suspect en garde à vue",
           "Une notice rouge avait été émise contre lui par Interpol"],
    "ar": ["أعلنت المديرية العامة للأمن الوطني توقيف شخص مبحوث عنه بموجب النشرة الحمراء",
           "وكان الإنتربول قد أصدر مذكرة بحث دولية في حقه",
           "وأوضحت مصالح الأمن الوطني أن المشتبه فيه أحيل على النيابة العامة"],
}
MENU = {"en": "Home World Politics Business Sport Culture Opinion Video", "fr": "Accueil Monde Politique Économie "
        "Sport Culture Opinions Vidéo", "ar": "الرئيسية العالم سياسة اقتصاد رياضة ثقافة رأي فيديو"}
OFF_TOPIC_LANGUAGES = tuple(VOCAB)


@dataclass
class FileSpec:
    path: Path
    records: int  # WARC records in the file, its warcinfo included
    seed: int
    in_scope_share: float
    first_page: int


def _sentence(rng: random.Random, words: list[str]) -> str:
    s = " ".join(rng.choices(words, k=rng.randint(9, 22)))
    return s[0].upper() + s[1:] + "."


_POOLS: dict[str, list[str]] = {}
_SCRIPT: list[str] = []


def _sentences(rng: random.Random, lang: str, k: int) -> list[str]:
    """k sentences drawn from a pool made once per process (pages differ by which, and in which
    order: 3,000 sentences per language give no two pages alike)."""
    if lang not in _POOLS:
        pool_rng = random.Random(lang)
        _POOLS[lang] = [_sentence(pool_rng, VOCAB_WORDS[lang]) for _ in range(3000)]
    return rng.choices(_POOLS[lang], k=k)


def _blob(rng: random.Random, n: int) -> str:
    """Inline script of about n characters, a slice of 4 MB of generated code made once per process
    (identifiers and numbers, compressing about as minified code does)."""
    if not _SCRIPT:
        r = random.Random(5)
        _SCRIPT.append("".join(f"var {r.choice('abcdefgh')}{r.randrange(10**6)}=function(e){{return e*"
                               f"{r.randrange(997)}}};" for _ in range(90_000)))
    pool = _SCRIPT[0]
    n = min(n, len(pool) // 2)
    start = rng.randrange(len(pool) - n)
    return pool[start:start + n]


def article(rng: random.Random, lang: str, in_scope: bool) -> tuple[str, list[str]]:
    """(title, paragraphs) of a story; an in-scope one names the DGSN or Interpol twice."""
    title = _sentences(rng, lang, 1)[0][:-1]
    paragraphs = [" ".join(_sentences(rng, lang, rng.randint(2, 6)))
                  for _ in range(max(2, int(rng.lognormvariate(2.0, 0.6))))]  # median ~7 paragraphs
    if in_scope:
        for sentence in rng.sample(TOPIC_SENTENCES[lang], k=2):
            paragraphs.insert(rng.randint(0, len(paragraphs)), sentence + ". " + _sentences(rng, lang, 1)[0])
    return title, paragraphs


def page(rng: random.Random, n: int, in_scope: bool) -> tuple[str, str, str]:
    """(url, language, html) of page number `n`."""
    lang = rng.choice(IN_SCOPE_LANGUAGES) if in_scope else rng.choice(OFF_TOPIC_LANGUAGES)
    host = f"news{n % 997}.example.{lang}"
    url = f"https://{host}/{2024 - n % 8}/{1 + n % 12:02d}/story-{n}.html"
    title, paragraphs = article(rng, lang, in_scope)
    menu = MENU.get(lang, MENU["en"]).split()
    nav = "".join(f"<li><a href='/{m.lower()}/'>{m}</a></li>" for m in menu)
    related = "".join(f"<li><a href='/{n - k}.html'>{line[:60]}</a></li>"
                      for k, line in enumerate(_sentences(rng, lang, rng.randint(3, 12))))
    script = _blob(rng, int(rng.lognormvariate(10.0, 0.8)))  # median ~22 KB of inline script
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{title} | {host}</title>"
            f"<meta property='og:title' content='{title}'><link rel='canonical' href='{url}'>"
            f"<style>.nav li{{display:inline;margin:0 {n % 9}px}}.ad{{height:250px}}</style>"
            f"<script>{script}</script></head><body><header><ul class='nav'>{nav}</ul></header>"
            f"<main><article><h1>{title}</h1><time datetime='2024-06-{1 + n % 28:02d}'>2024-06-{1 + n % 28:02d}</time>"
            f"{body}<div class='share'>Facebook Twitter WhatsApp</div></article>"
            f"<aside><h3>{menu[0]}</h3><ul>{related}</ul><div class='ad'></div></aside></main>"
            f"<footer><ul class='nav'>{nav}</ul><p>© 2024 {host}</p></footer></body></html>")
    return url, lang, html


def _response(writer: WARCWriter, rng: random.Random, n: int, in_scope: bool):
    roll = rng.random()
    if not in_scope and roll < 0.03:  # redirects, errors and documents a news crawl also fetches
        url = f"https://news{n % 997}.example.com/r/{n}"
        if roll < 0.015:
            status, headers, body = "301 Moved Permanently", [("Location", url + "/")], b""
        elif roll < 0.025:
            status, headers, body = "404 Not Found", [("Content-Type", "text/html")], b"<html>Not found</html>"
        else:
            status, headers, body = "200 OK", [("Content-Type", "application/pdf")], b"%PDF-1.4" + rng.randbytes(2000)
        return url, writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                              http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"))
    url, _, html = page(rng, n, in_scope)
    body = html.encode("utf-8")
    headers = [("Date", "Mon, 03 Jun 2024 10:00:00 GMT"), ("Server", "nginx"),
               ("X-Crawler-Content-Encoding", "gzip"), ("X-Crawler-Content-Length", str(len(body) // 4)),
               ("Content-Length", str(len(body)))]
    if roll > 0.02:  # a few servers send no Content-Type
        headers.insert(0, ("Content-Type", "text/html; charset=UTF-8"))
    warc_headers = {"WARC-Identified-Payload-Type": "text/html"}
    return url, writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                          http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
                                          warc_headers_dict=warc_headers)


META = b"fetchTimeMs: 214\r\ncharset-detected: UTF-8\r\nlanguages-cld2: {\"reliable\":true}\r\n"


def write_file(spec: FileSpec) -> tuple[str, int, int]:
    """Write one file; (path, records, in-scope pages)."""
    rng = random.Random(spec.seed)
    in_scope_pages = 0
    records = 1
    with open(spec.path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.0")
        writer.write_record(writer.create_warcinfo_record(spec.path.name, {
            "isPartOf": "CC-NEWS-BENCH", "operator": "benchmark", "software": "benchmarks/ccnews.py",
            "format": "WARC File Format 1.0"}))
        n = spec.first_page
        while records + 3 <= spec.records:
            in_scope = rng.random() < spec.in_scope_share
            url, response = _response(writer, rng, n, in_scope)
            request = writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(
                f"GET /{n} HTTP/1.1", [("Host", url.split("/")[2]), ("User-Agent", "CCBot/2.0")],
                is_http_request=True))
            writer.write_record(request)
            writer.write_record(response)
            writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(META),
                                                          warc_content_type="application/warc-fields"))
            records += 3
            in_scope_pages += in_scope
            n += 1
    return str(spec.path), records, in_scope_pages


def generate(directory: Path, records: int, *, in_scope_share: float = 0.005, per_file: int = 20_000,
             workers: int = 2, seed: int = 13) -> tuple[list[Path], int, int]:
    """CC-NEWS-shaped files holding about `records` records in all; (files, records, in-scope pages)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = max(2, math.ceil(records / per_file))
    per = math.ceil(records / files)
    specs = [FileSpec(directory / f"CC-NEWS-20240603{i:06d}-{i:05d}.warc.gz", per, seed * 100_003 + i,
                      in_scope_share, i * per) for i in range(files)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(write_file, specs))
    return [Path(p) for p, _, _ in done], sum(r for _, r, _ in done), sum(k for _, _, k in done)
