"""Bytes of declared, undeclared, unknown or wrongly declared charset into text.

The declared charset is used when it decodes the bytes cleanly; otherwise the bytes are read
as UTF-8 if they are valid UTF-8, else as the charset `detect` finds most plausible, else as
UTF-8 with replacement characters. Every guess comes back as a human-readable problem so the
ticket shows what was assumed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from gateway.parsing.detect import detect_charset

# Labels seen in real mail that Python does not know, or knows as a smaller charset than the
# one senders actually use (WHATWG Encoding Standard mappings where one exists).
_ALIASES: dict[str, str] = {
    "utf8mb4": "utf-8",
    "utf8mb3": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "cp936": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "euc-kr": "cp949",
    "x-euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
}
# Python codecs that are not charsets a message could be written in.
_NOT_CHARSETS = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "mbcs", "oem"}
)
# Codecs where every byte is one character: they never fail, so failure cannot reveal a wrong
# declaration; valid multi-byte UTF-8 can.
_SINGLE_BYTE = re.compile(
    r"(iso8859-\d+|cp\d{3,4}|koi8-\w|mac-\w+|latin-1|kz1048|ptcp154|hp-roman8)"
)
_MULTI_BYTE_CP = frozenset({"cp932", "cp936", "cp949", "cp950", "cp65001"})
_ISO2022_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(B", b"\x1b(J", b"\x1b$)C", b"\x1b$A")
_UTF_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_DISPLAY_NAMES = {
    "ascii": "us-ascii",
    "cp932": "shift_jis",
    "cp949": "euc-kr",
    "big5hkscs": "big5",
    "latin-1": "iso-8859-1",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str  # display name of the charset actually used
    problem: str | None  # set whenever the declaration was missing, unknown or wrong


def decode_bytes(data: bytes, declared: str | None, context: str = "") -> Decoded:
    """Decode `data` declared as `declared` (None: no declaration). Never raises."""
    label = clean_label(declared)
    codec = codec_for(label) if label else None
    prefix = f"{context}: " if context else ""
    if codec is not None:
        decoded = _decode_declared(data, codec)
        if decoded is not None:
            return Decoded(_strip_bom(decoded[0]), display_name(decoded[1]), None)
        problem = f"{prefix}declared charset {label} was wrong; decoded as {{}}"
    elif label:
        problem = f"{prefix}charset {label!r} not recognised; decoded as {{}}"
    else:
        problem = f"{prefix}no charset declared; decoded as {{}}"
    if data.isascii() and not any(e in data for e in _ISO2022_ESCAPES):
        return Decoded(data.decode("ascii"), "us-ascii", None)
    text, used, sure = _guess(data)
    return Decoded(_strip_bom(text), used, problem.format(used if sure else f"{used} (detected)"))


def decode_guessing(data: bytes, context: str = "", hint: str | None = None) -> Decoded:
    """Undeclared 8-bit bytes (a raw header, say): `hint` first if it fits, then detection."""
    if data.isascii():
        return Decoded(data.decode("ascii"), "us-ascii", None)
    try:
        return Decoded(data.decode("utf-8"), "utf-8", None)
    except UnicodeDecodeError:
        pass
    codec = codec_for(clean_label(hint)) if hint else None
    if codec is not None and codec != "utf-8" and not _is_single_byte(codec):
        try:
            return Decoded(data.decode(codec), display_name(codec), None)
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_bytes(data, None, context)


def clean_label(declared: str | None) -> str:
    if not declared:
        return ""
    return declared.strip().strip("\"'").strip().lower()[:40]


def codec_for(label: str) -> str | None:
    """The Python codec for a charset label, or None if it is unknown (or not a charset)."""
    name = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def display_name(codec: str) -> str:
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return codec
    if name in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[name]
    if re.fullmatch(r"cp125\d", name):
        return "windows-" + name[2:]
    return name.replace("iso8859-", "iso-8859-").replace("iso2022_", "iso-2022-").replace("_", "-")


def _decode_declared(data: bytes, codec: str) -> tuple[str, str] | None:
    """(text, codec used) if the declaration is believable, else None."""
    if codec == "ascii":
        return (data.decode("ascii"), codec) if data.isascii() else None
    if _is_single_byte(codec) and not data.isascii() and _is_utf8(data):
        return None  # valid multi-byte UTF-8 is far likelier than latin-1 that looks like it
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError:
        pass
    except Exception:  # codecs for exotic labels can fail in unexpected ways
        return None
    if codec == "cp1252":  # the few bytes cp1252 leaves undefined are latin-1's C1 controls
        return data.decode("latin-1"), "latin-1"
    return None


def _guess(data: bytes) -> tuple[str, str, bool]:
    """(text, charset display name, whether that is certain rather than detected)."""
    for bom, codec in _UTF_BOMS:
        if data.startswith(bom):
            return data.decode(codec, "replace"), codec, True
    if any(e in data for e in _ISO2022_ESCAPES):
        try:
            return data.decode("iso2022_jp_ext"), "iso-2022-jp", False
        except UnicodeDecodeError:
            pass
    if _is_utf8(data):
        return data.decode("utf-8"), "utf-8", False
    detected = detect_charset(data)
    if detected is not None:
        try:
            return data.decode(detected, "replace"), display_name(detected), False
        except Exception:
            pass
    return data.decode("utf-8", "replace"), "utf-8 with replacement characters", True


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_single_byte(codec: str) -> bool:
    return codec not in _MULTI_BYTE_CP and _SINGLE_BYTE.fullmatch(codec) is not None


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text
