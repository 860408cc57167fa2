"""The page-kind model (cleaners/models/page_kind.py): pages that are not articles (a category
listing, a tag page, a product page, a forum thread, a video page with no text) are judged
not_article; articles in Arabic, French and English, short ones included, stay articles."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cleaners import clean_html, clean_text
from cleaners.models.page_kind import MODEL_FILE, N_FEATURES, NOT_ARTICLE, forest, url_features
from crawler.sample_outlets import sample_pages
from tests.helpers import REPO, article_html

NAV = ("<header><div class='logo'><a href='/'>Le Courrier du Nord</a></div><nav class='main-menu'><ul>"
       "<li><a href='/societe/'>Société</a></li><li><a href='/politique/'>Politique</a></li>"
       "<li><a href='/economie/'>Économie</a></li><li><a href='/sport/'>Sport</a></li>"
       "<li><a href='/culture/'>Culture</a></li><li><a href='/contact/'>Contact</a></li></ul></nav></header>")
FOOTER = ("<footer><ul><li><a href='/mentions-legales/'>Mentions légales</a></li><li><a href='/cgu/'>CGU</a></li>"
          "<li><a href='/publicite/'>Publicité</a></li></ul><p>© 2026 Le Courrier du Nord</p></footer>")

TEASERS = [
    ("Tanger : un réseau de faux documents démantelé", "Deux hommes ont été interpellés après plusieurs mois "
     "d'enquête."),
    ("Casablanca : saisie record de comprimés psychotropes", "Les policiers ont intercepté un véhicule sur "
     "l'autoroute."),
    ("Fès : arrestation d'un suspect recherché", "L'homme faisait l'objet d'un mandat d'arrêt national."),
    ("Rabat : une délégation étrangère reçue au siège", "La visite porte sur la coopération technique."),
    ("Agadir : démantèlement d'un réseau d'escroquerie", "Les victimes avaient versé des avances."),
    ("Oujda : interpellation de trois passeurs", "Ils sont soupçonnés d'organiser des traversées."),
    ("Marrakech : un faux guide arrêté", "Il proposait des excursions à des touristes."),
    ("Meknès : vol à l'arraché, deux suspects interpellés", "Les images d'une caméra ont permis leur "
     "identification."),
    ("Kénitra : formation sur la cybercriminalité", "Des enquêteurs de plusieurs pays y participent."),
    ("Tétouan : saisie de marchandises de contrebande", "La marchandise était dissimulée dans un camion."),
]


def _teasers(heading: str = "h2", date: bool = True) -> str:
    items = []
    for i, (title, lead) in enumerate(TEASERS):
        slug = f"/societe/article-{1000 + i}.html"
        items.append(
            f"<div class='td_module_10 td_module_wrap'><div class='td-module-thumb'><a href='{slug}'>"
            f"<img src='/img/{i}.jpg' alt=''></a></div><div class='item-details'><{heading} class='entry-title'>"
            f"<a href='{slug}'>{title}</a></{heading}>"
            + (f"<div class='td-module-meta-info'><time datetime='2026-11-{10 + i}'>{10 + i} novembre 2026</time>"
               "</div>" if date else "")
            + f"<div class='td-excerpt'>{lead}</div></div></div>")
    return "".join(items)


def listing_page() -> tuple[str, str]:
    """A category page of a news theme: teaser after teaser, and page numbers."""
    pager = "".join(f"<a class='page' href='/societe/page/{n}/'>{n}</a>" for n in range(2, 8))
    html = ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Société - Le Courrier du Nord"
            "</title><meta property='og:type' content='website'><link rel='next' href='/societe/page/2/'>"
            f"</head><body>{NAV}<div class='td-category-header'><h1 class='entry-title'>Société</h1></div>"
            f"<div class='td-ss-main-content'>{_teasers()}</div><div class='page-nav'>{pager}</div>"
            f"{FOOTER}</body></html>")
    return "https://www.courrier-nord.example/societe/", html


def tag_page() -> tuple[str, str]:
    """A tag page: a list of headlines under the tag's name."""
    items = "".join(f"<li><a href='/2026/11/{10 + i}/story-{i}/'>{title}</a> <span class='date'>"
                    f"{10 + i}/11/2026</span></li>" for i, (title, _) in enumerate(TEASERS))
    html = ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Interpol Archives - Le Courrier"
            "</title><meta name='robots' content='noindex, follow'></head><body>"
            f"{NAV}<main><h1 class='page-title'>Étiquette : <span>Interpol</span></h1><ul class='tag-list'>{items}"
            f"</ul><nav class='pagination'><a href='/tag/interpol/page/2/'>Suivant »</a></nav></main>{FOOTER}</body>"
            "</html>")
    return "https://www.courrier-nord.example/tag/interpol/", html


def product_page() -> tuple[str, str]:
    """A shop's product page: a price, an add-to-cart form, the product's schema.org record."""
    ld = ('{"@context":"https://schema.org","@type":"Product","name":"Lampe de bureau LED Orion",'
          '"sku":"ORN-204","offers":{"@type":"Offer","price":"349.00","priceCurrency":"MAD",'
          '"availability":"https://schema.org/InStock"}}')
    html = ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Lampe de bureau LED Orion | "
            "Maison Atlas</title><meta property='og:type' content='product'>"
            f"<script type='application/ld+json'>{ld}</script></head><body>{NAV}<div class='product-page'>"
            "<nav class='breadcrumb'><a href='/'>Accueil</a> › <a href='/luminaires/'>Luminaires</a></nav>"
            "<div class='product-gallery'><img src='/p/orion-1.jpg'><img src='/p/orion-2.jpg'></div>"
            "<div class='product-summary'><h1 class='product-title'>Lampe de bureau LED Orion</h1>"
            "<div class='rating'>★★★★☆ <a href='#reviews'>(27 avis)</a></div>"
            "<p class='price'><span class='amount'>349,00 DH</span> <del>429,00 DH</del></p>"
            "<p>Lampe orientable à trois intensités, bras en aluminium, port USB pour recharger un téléphone.</p>"
            "<form class='cart' method='post'><label>Quantité</label><input type='number' name='quantity' "
            "value='1'><select name='color'><option>Noir</option><option>Blanc</option></select>"
            "<button type='submit' class='add-to-cart'>Ajouter au panier</button></form>"
            "<ul class='product-meta'><li>UGS : ORN-204</li><li>Catégorie : <a href='/luminaires/'>Luminaires</a>"
            "</li><li>Livraison en 48 h</li></ul></div><div id='reviews'><h2>Avis (27)</h2></div>"
            "<section class='related products'><h2>Produits similaires</h2>"
            + "".join(f"<div class='product-card'><a href='/p/{i}/'><img src='/p/{i}.jpg'><h3>Lampe {i}</h3></a>"
                      f"<span class='price'>{199 + 10 * i},00 DH</span></div>" for i in range(6))
            + f"</section></div>{FOOTER}</body></html>")
    return "https://www.maison-atlas.example/produit/lampe-de-bureau-led-orion/", html


POSTS = [
    ("karim_m", "Salam, quelqu'un sait combien de temps prend le renouvellement de la carte d'identité "
     "à Rabat ? J'ai déposé mon dossier il y a trois semaines."),
    ("nadia88", "Chez moi ça a pris dix jours, mais ça dépend du commissariat."),
    ("youssef_t", "Moi j'attends depuis un mois, j'ai appelé et on m'a dit que c'était en cours."),
    ("karim_m", "Merci pour vos réponses, je vais passer demain pour demander."),
    ("admin", "Vous pouvez aussi suivre l'avancement de votre demande sur le portail en ligne."),
    ("leila_b", "Le portail marche bien, j'ai reçu un SMS quand la carte était prête."),
]


def forum_thread() -> tuple[str, str]:
    """A forum thread: posts by users with avatars and post counts, a reply box."""
    posts = "".join(
        f"<div class='post' id='post{i}'><div class='postprofile'><img class='avatar' src='/a/{user}.png'>"
        f"<a class='username' href='/member/{user}/'>{user}</a><dl><dt>Messages</dt><dd>{40 + 7 * i}</dd>"
        f"<dt>Inscrit</dt><dd>mars 2021</dd></dl></div><div class='postbody'><p class='author'>par "
        f"<strong>{user}</strong> » {12 + i} nov. 2026, 10:{10 + i}</p><div class='content'>{text}</div>"
        f"<ul class='post-buttons'><li><a href='/posting.php?mode=quote&p={i}'>Citer</a></li>"
        f"<li><a href='/report.php?p={i}'>Signaler</a></li></ul></div></div>"
        for i, (user, text) in enumerate(POSTS))
    html = ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Renouvellement CNIE : délai ? "
            f"- Forum Maroc Démarches</title></head><body>{NAV}<div id='page-body'>"
            "<h2 class='topic-title'><a href='/viewtopic.php?t=48213'>Renouvellement CNIE : délai ?</a></h2>"
            "<div class='action-bar'><a class='button' href='/posting.php?mode=reply&t=48213'>Répondre</a>"
            "<div class='pagination'>6 messages • Page <strong>1</strong> sur <strong>1</strong></div></div>"
            f"{posts}<form id='qr_postform' method='post'><h2>Réponse rapide</h2><input type='text' name='subject'>"
            "<textarea name='message' rows='7'></textarea><input type='submit' value='Envoyer'></form></div>"
            f"{FOOTER}</body></html>")
    return "https://forum.demarches.example/viewtopic.php?t=48213", html


def video_page() -> tuple[str, str]:
    """A video page: a player and a title, no text."""
    ld = ('{"@context":"https://schema.org","@type":"VideoObject","name":"Saisie de drogue au port de Tanger",'
          '"uploadDate":"2026-11-20","duration":"PT1M42S","thumbnailUrl":"https://tv.example/t/5512.jpg",'
          '"contentUrl":"https://tv.example/v/5512.mp4"}')
    more = "".join(f"<div class='video-card'><a href='/videos/{5500 + i}/'><img src='/t/{5500 + i}.jpg'>"
                   f"<span class='duration'>0{i}:3{i}</span><h3>{title}</h3></a></div>"
                   for i, (title, _) in enumerate(TEASERS[:6]))
    html = ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Saisie de drogue au port de "
            "Tanger | Courrier TV</title><meta property='og:type' content='video.other'>"
            f"<script type='application/ld+json'>{ld}</script></head><body>{NAV}<div class='video-player'>"
            "<video controls poster='/t/5512.jpg'><source src='/v/5512.mp4' type='video/mp4'></video></div>"
            "<h1 class='video-title'>Saisie de drogue au port de Tanger</h1><div class='video-meta'>"
            "<span>20/11/2026</span> <span>1:42</span></div><div class='share'><a>Facebook</a><a>X</a>"
            f"<a>WhatsApp</a></div><div class='related-videos'><h2>Vidéos</h2>{more}</div>{FOOTER}</body></html>")
    return "https://tv.courrier-nord.example/videos/5512/", html


BODY = {
    "en": ["Police in the port city said on Monday that two men had been detained after a months-long inquiry "
           "into a ring that forged travel documents for people hoping to cross the strait.",
           "Investigators seized printers, blank passports and several hundred stamps during searches of three "
           "flats, according to a statement released by the regional security office.",
           "The suspects, aged 34 and 41, were placed in custody and will appear before the prosecutor later "
           "this week, the statement added, without giving their nationalities."],
    "fr": ["Les services de police de la ville portuaire ont annoncé lundi l'interpellation de deux hommes au "
           "terme d'une enquête de plusieurs mois sur un réseau de faux documents de voyage.",
           "Les enquêteurs ont saisi des imprimantes, des passeports vierges et plusieurs centaines de tampons "
           "lors de perquisitions menées dans trois appartements, selon un communiqué officiel.",
           "Les deux suspects, âgés de 34 et 41 ans, ont été placés en garde à vue et seront présentés au "
           "procureur dans le courant de la semaine, précise le communiqué."],
    "ar": ["أعلنت مصالح الشرطة بالمدينة الساحلية يوم الاثنين عن توقيف رجلين بعد تحقيق دام عدة أشهر حول شبكة "
           "متخصصة في تزوير وثائق السفر لفائدة أشخاص يرغبون في عبور المضيق.",
           "وحجز المحققون آلات طباعة وجوازات سفر فارغة ومئات الأختام خلال عمليات تفتيش شملت ثلاث شقق، حسب بلاغ "
           "صادر عن المصلحة الجهوية للأمن.",
           "وقد تم وضع المشتبه فيهما، البالغين من العمر 34 و41 سنة، تحت تدبير الحراسة النظرية في انتظار تقديمهما "
           "أمام النيابة العامة خلال هذا الأسبوع، يضيف البلاغ."],
}
TITLES = {"en": "Two men held over forged travel documents", "fr": "Deux hommes interpellés pour faux documents",
          "ar": "توقيف شخصين للاشتباه في تزوير وثائق السفر"}
URLS = {"en": "https://www.coastherald.example/news/two-men-held-over-forged-travel-documents/",
        "fr": "https://www.courrier-nord.example/societe/deux-hommes-interpelles-pour-faux-documents_4821.html",
        "ar": "https://www.alsahil.example/%D8%AA%D9%88%D9%82%D9%8A%D9%81-%D8%B4%D8%AE%D8%B5%D9%8A%D9%86-77120.html"}


def article_page(lang: str, paragraphs: int = 3, *, related: bool = True) -> tuple[str, str]:
    """A news article in a theme's markup, with the chrome news pages carry (menu, related stories)."""
    body = "".join(f"<p>{p}</p>" for p in BODY[lang][:paragraphs])
    rel = ("<div class='related-posts'><h3>À lire aussi</h3><ul>"
           + "".join(f"<li><a href='/societe/article-{1000 + i}.html'>{t}</a></li>"
                     for i, (t, _) in enumerate(TEASERS[:4])) + "</ul></div>") if related else ""
    html = (f"<!DOCTYPE html><html lang='{lang}' dir='{'rtl' if lang == 'ar' else 'ltr'}'><head>"
            f"<meta charset='utf-8'><title>{TITLES[lang]}</title><meta property='og:type' content='article'>"
            "<meta property='article:published_time' content='2026-11-16T09:30:00+01:00'></head><body>"
            f"{NAV}<article class='post'><h1 class='entry-title'>{TITLES[lang]}</h1><div class='entry-meta'>"
            "<time datetime='2026-11-16T09:30'>16/11/2026</time></div>"
            f"<div class='entry-content'>{body}</div></article>{rel}{FOOTER}</body></html>")
    return URLS[lang], html


NOT_ARTICLES = {"listing": listing_page, "tag": tag_page, "product": product_page, "forum": forum_thread,
                "video": video_page}


@pytest.mark.parametrize("kind", sorted(NOT_ARTICLES))
def test_pages_that_are_not_articles(kind: str) -> None:
    url, html = NOT_ARTICLES[kind]()
    assert clean_html(html, url=url).page_kind == NOT_ARTICLE


@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
@pytest.mark.parametrize("paragraphs", [3, 1])
def test_articles_stay_articles(lang: str, paragraphs: int) -> None:
    """Short ones too: a one-paragraph brief under a related-stories box is still an article."""
    url, html = article_page(lang, paragraphs)
    doc = clean_html(html, url=url)
    assert doc.page_kind == "article", (lang, paragraphs)
    assert BODY[lang][0][:40] in doc.text


def test_test_and_sample_articles_stay_articles() -> None:
    for page in sample_pages():
        if page.content_type.startswith("text/html") and page.status == 200:
            assert clean_html(page.body, url=page.url).page_kind == "article", page.file
    for n in (1, 7):
        assert clean_html(article_html(n), url=f"https://news.example.ma/article-{n}/").page_kind == "article"


def test_no_html_no_page_kind() -> None:
    assert clean_text(" ".join(BODY["en"])).page_kind is None
    assert clean_html(article_page("en")[1], kind=False).page_kind is None


def test_features_are_script_neutral() -> None:
    """The URL features read the shape of the path and its kind-naming segments, in any script."""
    tag = url_features("https://x.example/tag/interpol/")
    ar = url_features("https://x.example/%D9%88%D8%B3%D9%85/%D8%A7%D9%84%D8%A3%D9%85%D9%86/")
    assert len(tag) == len(ar) and tag[1] == ar[1] == 2.0


def test_model_file_is_small_and_matches_the_features() -> None:
    assert MODEL_FILE.stat().st_size < 512 * 1024
    model = forest()
    assert int(model.feature.max()) < N_FEATURES and 0 < model.cutoff < 1
    assert model.predict(np.zeros((2, N_FEATURES), dtype=np.float32)).shape == (2,)


def test_model_loads_from_a_zipped_package(tmp_path: Path) -> None:
    """As scrapyd runs it: the package in a zip on sys.path (no file path beside __file__)."""
    archive = tmp_path / "cleaners.egg"
    with zipfile.ZipFile(archive, "w") as z:
        for path in (REPO / "cleaners").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, path.relative_to(REPO).as_posix())
    url, html = listing_page()
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "import cleaners; assert cleaners.__file__.startswith(sys.argv[1]), cleaners.__file__\n"
            "from cleaners import clean_html\n"
            "print(clean_html(sys.stdin.read(), url=sys.argv[2]).page_kind)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(archive), url], input=html, capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == NOT_ARTICLE


# The page-kind patterns as first written (cleaners/models/page_kind.py has them in a faster form, and
# counts the years with _years).
PLAIN_PATTERNS = {
    "_PRICE": r"[$€£¥]\s?\d|\d\s?(?:[$€£¥]|MAD\b|DH\b|Dhs?\b|EUR\b|USD\b|درهم)",
    "_DATE_TEXT": r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d\d|(?:19|20)\d\d[/.-]\d{1,2}[/.-]\d{1,2})\b|"
                  r"\b\d{1,2}:\d\d\b",
    "_YEAR": r"\b(?:19[5-9]\d|20[0-4]\d)\b",
}
PATTERN_TEXTS = ["Le 12/05/2019 à 14:30, 1 200 DH", "a2019 2019b 1949 1950 2049 2050 ٢٠١٩ 2019-05-12 19:05:2",
                 "$ 5, 5€ 5 MAD 5MADx 5 Dhs 5 Dh 10 درهم 3USD", "x12.5.2019 12.5.19 1.1.1 9:99:99 2020/1/2/3",
                 # each alone between long runs without a digit: a match reaching furthest from its digits
                 (" " + "y" * 30 + " ").join(["5 Dhsx", "5 MAD", "5 درهم", "$ 5", "x9 12/5/2019x", "a19:05b",
                                              "٢ USD_"])]


@pytest.mark.parametrize("name", sorted(PLAIN_PATTERNS))
def test_fast_patterns_find_what_the_plain_ones_find(name):
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cleaners.models import page_kind

    plain, fast = re.compile(PLAIN_PATTERNS[name]), getattr(page_kind, name, None)
    # what dom_features counts: the years with _years, prices and dates near the digits only
    count = {"_YEAR": page_kind._years}.get(name, lambda text: len(fast.findall(page_kind._near_digits(text))))
    texts = [*PATTERN_TEXTS, " ".join(PATTERN_TEXTS * 8)]
    for text in texts:
        assert fast is None or fast.findall(text) == plain.findall(text), text
        assert count(text) == len(plain.findall(text)), text
    assert plain.findall(" ".join(PATTERN_TEXTS))  # the examples hold matches

    # the long runs without a digit split the text into several stretches near digits
    @settings(max_examples=3000, deadline=None)
    @given(st.lists(st.sampled_from(["19", "20", "0", "1", "4", "5", "9", "12", "/", ".", "-", ":", " ", "x", "$",
                                      "€", "DH", "Dh", "s", "MAD", "EUR", "USD", "درهم", "٢", "_", " " * 13,
                                      "word " * 3, "y" * 17]),
                    max_size=24).map("".join))
    def same(text):
        assert fast is None or fast.findall(text) == plain.findall(text)
        assert count(text) == len(plain.findall(text))

    same()


def test_link_and_class_counts_match_their_plain_forms():
    """dom_features finds the elements holding a link in one walk up from each link, and counts
    class tokens once per distinct value: the same as asking each element and the joined string."""
    from collections import Counter

    from cleaners.extract import parse_html
    from cleaners.models.page_kind import CLASS_TOKENS, _token_counts
    from cleaners.trees import holding

    _, html = listing_page()
    tree = parse_html(html.replace("<div class='td-excerpt'>", "<div class='td-excerpt' id='Post-Card'>"))
    linked = holding(tree, "a")
    elements = [el for el in tree.iter() if isinstance(el.tag, str)]
    assert [el in linked for el in elements] == [el.find(".//a") is not None for el in elements]
    assert 0 < sum(el in linked for el in elements) < len(elements)
    names = [f"{el.get('class') or ''} {el.get('id') or ''}" for el in elements if el.get("class") or el.get("id")]
    plain = "\n".join(names).lower()
    counts = _token_counts(Counter(names))
    assert counts == [plain.count(token) for token in CLASS_TOKENS]
    assert max(counts) >= 10 and counts[CLASS_TOKENS.index("card")] == len(TEASERS)
    values = Counter(value for el in elements for value in (el.get("class"), el.get("id")) if value)
    assert _token_counts(values) == counts  # each value apart, as dom_features reads them


def test_page_text_is_the_text_nodes_of_the_parsed_tree():
    """dom_features reads the page's text as its text nodes, from libxml2 in one call: for a tree as
    parse_html gives it, with the text between two tags in one node, they are what itertext gives."""
    from cleaners.extract import parse_html
    from cleaners.models.page_kind import _TEXT_NODES

    for _, html in (listing_page(), tag_page(), product_page(), forum_thread()):
        tree = parse_html(html.replace("</p>", "<!-- c --> 12<b>/03/</b>2020 &amp; $<i>5</i></p>"))
        assert _TEXT_NODES(tree) == list(tree.itertext())
