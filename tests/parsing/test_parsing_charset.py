"""Text in any charset, declared rightly, wrongly, unknown or not at all."""

from __future__ import annotations

import base64

import pytest

from gateway.parsing import parse_message
from gateway.parsing.charset import decode_bytes, decode_guessing
from gateway.parsing.detect import detect_charset

from .parsing_mail import mail, multipart, part

RUSSIAN = "Привет! Сервер не работает с утра, помогите пожалуйста."
JAPANESE = "お世話になっております。サーバーが停止しています。"
CHINESE = "您好，服务器从今天早上开始无法工作，请帮忙。"
TRADITIONAL = "您好，伺服器從今天早上開始無法工作。"
KOREAN = "안녕하세요, 서버가 아침부터 작동하지 않습니다."
FRENCH = "Bonjour, le serveur ne répond plus depuis ce matin. Merci de vérifier à nouveau."
GERMAN = "Grüße aus München, der Drucker ist kaputt."
POLISH = "Dzień dobry, serwer nie działa od rana. Proszę o pomoc."
GREEK = "Καλημέρα, ο διακομιστής δεν λειτουργεί από το πρωί."
TURKISH = "Merhaba, sunucu sabahtan beri çalışmıyor, lütfen yardım edin."
SMART = "It\u2019s \u201cdown\u201d \u2013 again\u2026 costs 10 \u20ac"


# -- declared charsets, correct ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("utf-8", "utf-8", RUSSIAN),
        ("UTF-8", "utf-8", JAPANESE),
        ("iso-8859-1", "latin-1", FRENCH),
        ("windows-1252", "cp1252", SMART),
        ("koi8-r", "koi8-r", RUSSIAN),
        ("windows-1251", "cp1251", RUSSIAN),
        ("shift_jis", "shift_jis", JAPANESE),
        ("iso-2022-jp", "iso-2022-jp", JAPANESE),
        ("euc-jp", "euc-jp", JAPANESE),
        ("gb2312", "gb2312", CHINESE),
        ("gbk", "gbk", CHINESE),
        ("big5", "big5", TRADITIONAL),
        ("euc-kr", "euc-kr", KOREAN),
        ("ks_c_5601-1987", "euc-kr", KOREAN),
        ("iso-8859-2", "iso-8859-2", POLISH),
        ("iso-8859-7", "iso-8859-7", GREEK),
        ('"utf-8"', "utf-8", GERMAN),
    ],
)
@pytest.mark.parametrize("encoding", ["8bit", "base64", "quoted-printable"])
def test_body_in_declared_charset(label: str, codec: str, text: str, encoding: str) -> None:
    data = text.encode(codec)
    if encoding == "base64":
        data = base64.encodebytes(data)
    elif encoding == "quoted-printable":
        data = b"".join(
            b"=%02X" % byte if byte > 127 or byte == 61 else bytes([byte]) for byte in data
        )
    raw = mail(
        data,
        content_type=f"text/plain; charset={label}",
        headers=[("Content-Transfer-Encoding", encoding)],
    )
    parsed = parse_message(raw)
    assert parsed.body_text == text
    assert parsed.problems == ()


def test_iso_8859_1_declared_is_read_as_windows_1252() -> None:
    """Senders label cp1252 text (smart quotes, euro) as latin-1; browsers read it as cp1252."""
    decoded = decode_bytes(SMART.encode("cp1252"), "iso-8859-1")
    assert decoded.text == SMART
    assert decoded.problem is None


def test_utf8_bom_is_dropped() -> None:
    assert decode_bytes(b"\xef\xbb\xbfhello", "utf-8").text == "hello"


def test_utf16_declared() -> None:
    parsed = parse_message(mail(GERMAN.encode("utf-16"), content_type="text/plain; charset=utf-16"))
    assert parsed.body_text == GERMAN


# -- declared wrongly ---------------------------------------------------------------------------


def test_declared_utf8_but_latin1() -> None:
    parsed = parse_message(mail(FRENCH.encode("latin-1"), content_type="text/plain; charset=utf-8"))
    assert parsed.body_text == FRENCH
    assert parsed.problems == (
        "text/plain part: declared charset utf-8 was wrong; decoded as windows-1252 (detected)",
    )


def test_declared_utf8_but_cp1252_smart_quotes() -> None:
    decoded = decode_bytes(SMART.encode("cp1252"), "utf-8")
    assert decoded.text == SMART
    assert decoded.problem and "declared charset utf-8 was wrong" in decoded.problem


def test_declared_utf8_but_koi8r() -> None:
    decoded = decode_bytes(RUSSIAN.encode("koi8-r"), "utf-8")
    assert decoded.text == RUSSIAN
    assert decoded.problem == "declared charset utf-8 was wrong; decoded as koi8-r (detected)"


def test_declared_us_ascii_with_utf8_bytes() -> None:
    decoded = decode_bytes(GERMAN.encode("utf-8"), "us-ascii")
    assert decoded.text == GERMAN
    assert decoded.problem == "declared charset us-ascii was wrong; decoded as utf-8 (detected)"


def test_declared_us_ascii_with_latin1_bytes() -> None:
    decoded = decode_bytes(GERMAN.encode("latin-1"), "us-ascii")
    assert decoded.text == GERMAN
    assert decoded.problem and decoded.problem.startswith("declared charset us-ascii was wrong")


def test_declared_latin1_but_utf8() -> None:
    decoded = decode_bytes(FRENCH.encode("utf-8"), "iso-8859-1")
    assert decoded.text == FRENCH
    assert decoded.problem == "declared charset iso-8859-1 was wrong; decoded as utf-8 (detected)"


def test_declared_shift_jis_but_utf8() -> None:
    decoded = decode_bytes(RUSSIAN.encode("utf-8"), "shift_jis")
    assert decoded.text == RUSSIAN
    assert decoded.problem and "declared charset shift_jis was wrong" in decoded.problem


# -- unknown names and missing declarations -----------------------------------------------------


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("x-unknown", "charset 'x-unknown' not recognised; decoded as windows-1252 (detected)"),
        (
            "unknown-8bit",
            "charset 'unknown-8bit' not recognised; decoded as windows-1252 (detected)",
        ),
        ("utf8mb4", None),  # MySQL's name for UTF-8
        ("ansi_x3.4-1968", None),  # ASCII's formal name
    ],
)
def test_unknown_charset_names(label: str, problem: str | None) -> None:
    text = FRENCH if problem else "plain ascii text"
    data = text.encode("latin-1")
    decoded = decode_bytes(data, label)
    assert decoded.text == text
    assert decoded.problem == problem


def test_utf8mb4_decodes_utf8() -> None:
    assert decode_bytes(JAPANESE.encode(), "utf8mb4") == decode_bytes(JAPANESE.encode(), "utf-8")


def test_ansi_x3_4_1968_with_8bit_bytes_is_guessed() -> None:
    decoded = decode_bytes(GERMAN.encode(), "ANSI_X3.4-1968")
    assert decoded.text == GERMAN
    assert (
        decoded.problem == "declared charset ansi_x3.4-1968 was wrong; decoded as utf-8 (detected)"
    )


def test_codec_names_that_are_not_charsets_are_unknown() -> None:
    decoded = decode_bytes(b"aGVsbG8=", "base64")
    assert decoded.text == "aGVsbG8="


def test_ascii_with_unknown_label_needs_no_guess() -> None:
    assert decode_bytes(b"hello", "x-foo").problem is None


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (GERMAN, "utf-8"),
        (RUSSIAN, "koi8-r"),
        (JAPANESE, "shift_jis"),
        (CHINESE, "gb2312"),
    ],
)
def test_missing_declaration_is_detected(text: str, codec: str) -> None:
    raw = mail(text.encode(codec), content_type=None)
    parsed = parse_message(raw)
    assert parsed.body_text == text
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith("text/plain part: no charset declared; decoded as")


def test_missing_content_type_and_ascii_is_fine() -> None:
    parsed = parse_message(mail("just ascii", content_type=None))
    assert parsed.body_text == "just ascii"
    assert parsed.problems == ()


def test_iso_2022_jp_without_declaration() -> None:
    decoded = decode_bytes(JAPANESE.encode("iso-2022-jp"), None)
    assert decoded.text == JAPANESE
    assert decoded.problem == "no charset declared; decoded as iso-2022-jp (detected)"


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        (FRENCH, "latin-1", "cp1252"),
        (GERMAN, "latin-1", "cp1252"),
        (SMART, "cp1252", "cp1252"),
        (RUSSIAN, "koi8-r", "koi8_r"),
        (RUSSIAN, "cp1251", "cp1251"),
        ("Сервер упал", "cp1251", "cp1251"),
        (JAPANESE, "shift_jis", "cp932"),
        (JAPANESE, "euc-jp", "euc_jp"),
        (CHINESE, "gb2312", "gb18030"),
        ("服务器故障", "gb2312", "gb18030"),
        (TRADITIONAL, "big5", "big5hkscs"),
        (KOREAN, "euc-kr", "cp949"),
        (POLISH, "iso-8859-2", "iso8859_2"),
        (POLISH, "cp1250", "cp1250"),
        (GREEK, "cp1253", "cp1253"),
        (TURKISH, "cp1254", "cp1254"),
    ],
)
def test_detection(text: str, codec: str, expected: str) -> None:
    data = text.encode(codec)
    detected = detect_charset(data)
    assert detected is not None
    assert data.decode(detected) == text  # cp1250 and iso-8859-2 agree on most Polish letters
    assert detected == expected or codec in ("cp1250", "iso-8859-2")


def test_undecodable_bytes_fall_back_without_raising() -> None:
    decoded = decode_bytes(bytes(range(256)) * 4, "utf-8")
    assert decoded.problem and decoded.problem.startswith("declared charset utf-8 was wrong")
    assert isinstance(decoded.text, str)


# -- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "codec", "text"),
    [
        ("utf-8", "utf-8", "Ünïcödé ✓ 問題"),
        ("iso-8859-1", "latin-1", "Problème de café"),
        ("windows-1252", "cp1252", "\u201cQuoted\u201d \u20ac"),
        ("koi8-r", "koi8-r", "Сервер упал"),
        ("shift_jis", "shift_jis", "サーバー停止"),
        ("iso-2022-jp", "iso-2022-jp", "サーバー停止"),
        ("gb2312", "gb2312", "服务器故障"),
        ("euc-kr", "euc-kr", "서버 장애"),
    ],
)
@pytest.mark.parametrize("encoding", ["B", "Q"])
def test_rfc2047_subject_and_name(charset: str, codec: str, text: str, encoding: str) -> None:
    data = text.encode(codec)
    if encoding == "B":
        word = f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    else:
        word = (
            f"=?{charset}?Q?"
            + "".join(f"={b:02X}" if b > 127 or chr(b) in "=?_ " else chr(b) for b in data)
            + "?="
        )
    parsed = parse_message(mail(subject=f"Re: {word}", sender=f"{word} <JANE@Example.COM>"))
    assert parsed.subject == f"Re: {text}"
    assert parsed.from_name == text
    assert parsed.from_addr == "jane@example.com"
    assert parsed.problems == ()


def test_rfc2047_adjacent_words_joined_and_split_characters_repaired() -> None:
    data = "Привет мир".encode()
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    subject = f"=?utf-8?B?{first}?=\r\n =?UTF-8?B?{second}?= [#7]"
    assert parse_message(mail(subject=subject)).subject == "Привет мир [#7]"


def test_rfc2047_wrong_charset_in_word() -> None:
    parsed = parse_message(mail(subject="=?utf-8?q?Probl=E8me_de_caf=E9?="))
    assert parsed.subject == "Problème de café"
    assert parsed.problems == (
        "header Subject: declared charset utf-8 was wrong; decoded as windows-1252 (detected)",
    )


def test_rfc2047_unknown_charset_in_word() -> None:
    parsed = parse_message(mail(subject="=?x-unknown?q?caf=C3=A9?="))
    assert parsed.subject == "café"
    assert parsed.problems == (
        "header Subject: charset 'x-unknown' not recognised; decoded as utf-8 (detected)",
    )


def test_rfc2047_bad_base64_padding() -> None:
    assert parse_message(mail(subject="=?utf-8?b?Y2Fmw6k?=")).subject == "café"


def test_raw_utf8_header_is_not_a_problem() -> None:
    parsed = parse_message(mail(subject="Grüße".encode(), sender="Jürgen <j@example.de>".encode()))
    assert (parsed.subject, parsed.from_name) == ("Grüße", "Jürgen")
    assert parsed.problems == ()


def test_raw_latin1_header_is_guessed_and_noted() -> None:
    parsed = parse_message(mail(subject="Problème café".encode("latin-1")))
    assert parsed.subject == "Problème café"
    assert parsed.problems == (
        "header Subject: no charset declared; decoded as windows-1252 (detected)",
    )


def test_raw_8bit_header_uses_the_body_charset_as_hint() -> None:
    raw = mail(
        "本文".encode("shift_jis"),
        subject="障害".encode("shift_jis"),
        content_type="text/plain; charset=shift_jis",
    )
    assert parse_message(raw).subject == "障害"


def test_html_part_charset_wrong_in_alternative() -> None:
    raw = multipart(
        "alternative",
        part("text/plain; charset=utf-8", FRENCH.encode("latin-1")),
        part("text/html; charset=utf-8", f"<p>{FRENCH}</p>".encode("latin-1")),
    )
    parsed = parse_message(raw)
    assert parsed.body_text == FRENCH
    assert parsed.html == f"<p>{FRENCH}</p>"
    assert "text/plain part: declared charset utf-8 was wrong" in parsed.problems[0]
    assert "text/html part: declared charset utf-8 was wrong" in parsed.problems[1]


def test_decode_guessing_prefers_utf8_then_hint() -> None:
    assert decode_guessing("é".encode()).text == "é"
    assert decode_guessing("障害".encode("shift_jis"), hint="shift_jis").text == "障害"
