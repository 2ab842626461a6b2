"""Uzbek Latin → Cyrillic: a corpus of real words for every rule and exception, and what must stay untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.languages.transliterate import (
    OverrideError,
    cyrillic_to_latin,
    in_script,
    latin_to_cyrillic,
    read_overrides,
    script_of_text,
)
from bot.ops.paths import content_dir

OVERRIDES = read_overrides(content_dir() / "uz-Cyrl" / "overrides.txt")

CORPUS = [
    # oʻ → ў, gʻ → ғ (with the ʻ of the official spelling, and the ' people type)
    ("oʻzbek", "ўзбек"),
    ("koʻp", "кўп"),
    ("gʻoya", "ғоя"),
    ("togʻ", "тоғ"),
    ("o'zbek", "ўзбек"),
    # sh → ш, ch → ч, and sh + ch, which is ш + ч in Uzbek, never щ
    ("shahar", "шаҳар"),
    ("chiroyli", "чиройли"),
    ("ishchi", "ишчи"),
    ("boshchiligida", "бошчилигида"),
    # ng is н + г in Cyrillic: one sound in "ming", two in "mingan"; both are written нг
    ("ming", "минг"),
    ("singil", "сингил"),
    ("Kengash", "Кенгаш"),
    # yo/yu/ya/ye → ё/ю/я/е, also after a vowel
    ("yoshlar", "ёшлар"),
    ("yulduz", "юлдуз"),
    ("yangi", "янги"),
    ("yer", "ер"),
    ("Yevropa", "Европа"),
    ("ayol", "аёл"),
    ("hayot", "ҳаёт"),
    ("jamiyat", "жамият"),
    # e at the start of a word → э; inside → е; after a vowel → э
    ("ekologiya", "экология"),
    ("emas", "эмас"),
    ("eng", "энг"),
    ("mehnat", "меҳнат"),
    ("poeziya", "поэзия"),
    # h → ҳ, x → х, q → қ
    ("xotin-qizlar", "хотин-қизлар"),
    ("qiz", "қиз"),
    # ts → ц in loanwords
    ("tsirk", "цирк"),
    ("litsenziya", "лицензия"),
    ("advokatsiya", "адвокация"),
    ("Shveytsariya", "Швейцария"),
    # the tutuq belgisi ʼ (or ') → ъ
    ("maʼno", "маъно"),
    ("sanʼat", "санъат"),
    ("taʼlim", "таълим"),
    ("ma'lumot", "маълумот"),
    # capitals and all-caps words
    ("Oʻzbekiston", "Ўзбекистон"),
    ("Shahar", "Шаҳар"),
    ("Yoshlar", "Ёшлар"),
    ("Chiroyli", "Чиройли"),
    ("OʻZBEKISTON", "ЎЗБЕКИСТОН"),
    ("SHAHAR", "ШАҲАР"),
    ("YOSHLAR", "ЁШЛАР"),
    ("ISHCHILAR", "ИШЧИЛАР"),
    ("BMT", "БМТ"),
    # the override file: native words with t + s, loanwords with ц or я/ь, names, mixed-case abbreviations
    ("adolatsiz", "адолатсиз"),
    ("adolatsizlikning", "адолатсизликнинг"),
    ("rayonlarda", "районларда"),
    ("Rayon", "Район"),
    ("RAYON", "РАЙОН"),
    ("aksiyalari", "акциялари"),
    ("korrupsiya", "коррупция"),
    ("20-oktabrda", "20-октябрда"),
    ("Olga", "Ольга"),
    ("YaIM", "ЯИМ"),
    ("ShHT", "ШҲТ"),
    ("OIV/OITS", "ОИВ/ОИТС"),
]


@pytest.mark.parametrize(("latin", "cyrillic"), CORPUS)
def test_every_rule_and_exception(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin, OVERRIDES) == cyrillic


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Salom, {name}! {count} ta", "Салом, {name}! {count} та"),
        ('<b>Muhim</b> <a href="https://t.me/bot?start=ayollar">havola</a>', None),
        (
            "Manba: https://example.org/oʻzbek/sahifa va www.un.org",
            "Манба: https://example.org/oʻzbek/sahifa ва www.un.org",
        ),
        ("/forget orqali oʻchiring, /help ni koʻring", "/forget орқали ўчиринг, /help ни кўринг"),
        ("Yozing: info@example.org &amp; t.me/briefbot", "Ёзинг: info@example.org &amp; t.me/briefbot"),
        ("**muhim** va/yoki", "**муҳим** ва/ёки"),
        ("“Women Engage for a Common Future” tashkiloti", "“Women Engage for a Common Future” ташкилоти"),
        ("“Gender equality and the law” hisoboti", "“Gender equality and the law” ҳисоботи"),
        ("COVID-19 va Telegram", "COVID-19 ва Telegram"),
    ],
)
def test_markup_placeholders_links_commands_and_english_stay_as_they_are(latin: str, cyrillic: str | None) -> None:
    converted = latin_to_cyrillic(latin, OVERRIDES)
    if cyrillic is None:  # the tags and the link whole, the words converted
        assert converted == '<b>Муҳим</b> <a href="https://t.me/bot?start=ayollar">ҳавола</a>'
    else:
        assert converted == cyrillic


def test_cyrillic_back_to_latin_for_queries() -> None:
    assert cyrillic_to_latin("Ўзбекистон") == "Oʻzbekiston"
    assert cyrillic_to_latin("аёллар ҳуқуқлари") == "ayollar huquqlari"
    assert cyrillic_to_latin("ишчи") == "ishchi"
    assert in_script("uz", "зўравонлик", "Latn") == "zoʻravonlik"
    assert in_script("uz", "zoʻravonlik", "Cyrl") == "зўравонлик"
    assert in_script("uz", "zoʻravonlik", "Latn") == "zoʻravonlik"  # already in the script
    assert in_script("kk", "zorlyq", "Cyrl") == "zorlyq"  # no transliterator for Kazakh: as typed
    assert script_of_text("аёл ayol аёллар") == "Cyrl"
    assert script_of_text("123 !") is None


def test_a_bad_override_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "overrides.txt"
    path.write_text("# words\nrayon = район\nрайон = rayon\n", encoding="utf-8")
    with pytest.raises(OverrideError, match=r"overrides.txt:3: expected 'latin = кирилл'"):
        read_overrides(path)
    path.write_text("keep: FemAgora\nRayon = Район # a comment\n", encoding="utf-8")
    assert read_overrides(path) == {"keep:FemAgora": "FemAgora", "rayon": "Район"}
