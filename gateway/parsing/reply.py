"""The latest reply of a message: quoted history and signatures taken off.

History starts at the first of: an attribution line ("On ... wrote:" and its German, French,
Spanish, Italian, Dutch, Portuguese, Polish, Scandinavian, Russian, Chinese and Japanese
forms, also when the mailer wrapped it over two or three lines), an "-----Original
Message-----" separator, or an Outlook header block ("From: ... Sent: ... To: ... Subject:").
Lines quoted with ">" are dropped wherever they are, so inline answers between quotes are kept.
Then a "-- " signature (not the writer's note after a forwarded alert: a question or a
sentence after the "--" is kept), "Sent from my iPhone"-style footers and trailing separators
go.
If nothing is left the whole text is the latest reply.
"""

from __future__ import annotations

import re

_WROTE = (
    r"(wrote|writes|schrieb|a\s+écrit|escribió|escribio|ha\s+scritto|schreef|escreveu|pisze|"
    r"napisał|napisal|skrev|kirjoitti|napsal|írta|написал|написала|написал\(а\)|пишет|"
    r"yazdı|写道|寫道)"
)
_INTRO = (
    r"(on|am|le|el|il|op|em|w\s+dniu|den|dne|på|pe|в|on\s+\w+day|"
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
)
_ATTRIBUTION = re.compile(rf"^{_INTRO}\b.{{0,400}}\b{_WROTE}\s*[:：]$", re.I | re.S)
# "John <j@x.com> 于2024年1月1日周一 10:00写道：" and similar with the verb glued on.
_ATTRIBUTION_CJK = re.compile(r".{0,300}(写道|寫道|のメッセージ)\s*[:：]$", re.S)
# Gmail in Japanese, Russian and others: "2024年1月1日(月) 10:00 John <j@x.com>:"
_ATTRIBUTION_BARE = re.compile(r"^.{0,200}\d.{0,200}<[^<>\s]+@[^<>\s]+>\s*[:：]$", re.S)
_ORIGINAL = re.compile(
    r"^[-=_*\s]{2,}(original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|"
    r"originalmeddelande|oprindelig meddelelse|opprinnelig melding|alkuperäinen viesti|"
    r"wiadomość oryginalna|původní zpráva|исходное сообщение|原始邮件|原始郵件|元のメッセージ)"
    r"[-=_*\s]*$",
    re.I,
)
_HEADER_FROM = re.compile(
    r"^\*?(from|de|von|van|da|från|fra|od|от|mittente|lähettäjä|差出人|发件人|寄件者)\s*:",
    re.I,
)
_HEADER_OTHER = re.compile(
    r"^\*?(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|para|"
    r"asunto|fecha|inviato|a|oggetto|data|verzonden|aan|onderwerp|skickat|till|ämne|sendt|til|"
    r"emne|wysłano|do|temat|отправлено|кому|тема|发送时间|收件人|主题|送信日時|宛先|件名)"
    r"\s*:",
    re.I,
)
_SEPARATOR = re.compile(r"^[_\-=*~]{3,}$")
_MOBILE_FOOTER = re.compile(
    r"^(sent from my \w+|sent from (mail|outlook|yahoo mail|samsung|windows mail)\b|"
    r"get outlook for \w+|sent with proton\s?mail|sent via \w+|sent from \w+ (mobile|phone)|"
    r"envoyé de mon \w+|envoyé depuis|von meinem \w+ gesendet|gesendet von meinem|"
    r"enviado desde mi|enviado do meu|inviato da(l mio)? \w+|verzonden (met|vanaf) \w+|"
    r"skickat från min|sendt fra min|отправлено с \w+)",
    re.I,
)
_FOOTER_WINDOW = 6  # mobile footers only count near the end of the reply
# After a "--" line: a signature ("Oskar Lind | Head of Voice Ops"), unless its first lines
# read as the writer's message - a question, or a sentence of this many words that is not a
# legal notice or a mobile footer ("--\nNo user impact yet, anything we should tune?" under a
# forwarded monitoring alert; "--\nForwarded from our monitoring: all 25 phones lost
# registration 10 minutes ago, nobody can call in or out.").
_MESSAGE_WORDS = 10
_NOTICE = re.compile(
    r"confidential|vertraulich|riservat|intended|disclaimer|virus|privileg|before printing|"
    r"adressat|destinatari",
    re.I,
)


def latest_reply(body: str) -> str:
    """The newest part of `body` (already plain text); `body` itself if stripping empties it."""
    lines = body.split("\n")
    start = history_start(lines)
    kept = lines[:start]
    if start < len(lines) and _is_attribution_at(lines, start):
        kept += _inline_answers(lines[start:])
    kept = [line for line in kept if not _is_quoted(line)]
    text = "\n".join(_strip_signature(kept)).strip()
    return text or body.strip()


def history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history, or len(lines)."""
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or _is_quoted(s):
            continue
        if s[-1] in ":：" and (start := _attribution_start(lines, i)) is not None:
            return start
        if _ORIGINAL.match(s):
            return i
        if _SEPARATOR.match(s) and _header_block_at(lines, _next_nonblank(lines, i + 1)):
            return i
        if _header_block_at(lines, i):
            return i
    return len(lines)


def _attribution_start(lines: list[str], end: int) -> int | None:
    """The first line of an attribution ending at `end` (possibly wrapped), or None."""
    for first in (end, end - 1, end - 2):
        if first < 0:
            break
        parts = [lines[j].strip() for j in range(first, end + 1)]
        if first < end and (not parts[0] or _is_quoted(parts[0])):
            break
        joined = " ".join(parts)
        if len(joined) > 500:
            break
        if _ATTRIBUTION.match(joined) or _ATTRIBUTION_CJK.match(joined):
            return first
        if first == end and _ATTRIBUTION_BARE.match(joined):
            return first
    return None


def _is_attribution_at(lines: list[str], i: int) -> bool:
    for end in range(i, min(i + 3, len(lines))):
        s = lines[end].strip()
        if s and s[-1] in ":：" and _attribution_start(lines, end) == i:
            return True
    return False


def _inline_answers(history: list[str]) -> list[str]:
    """Unquoted lines written between or after the quotes of an inline (bottom-posted) reply.

    `history` starts with the attribution. A top-posted reply quotes everything after it, so
    this returns nothing; an answer interleaved with quotes is returned without the quotes.
    """
    body = history[1:]
    while body and body[0].strip() and not _is_quoted(body[0]):
        body = body[1:]  # the rest of a wrapped attribution
    if not any(_is_quoted(line) for line in body):
        return []
    stop = history_start(body)  # older history below the inline answers
    answers = [line for line in body[:stop] if not _is_quoted(line)]
    return answers if any(line.strip() for line in _strip_signature(answers)) else []


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: ..." line followed by at least two more header lines."""
    if i >= len(lines) or not _HEADER_FROM.match(lines[i].strip()):
        return False
    labels = set()
    for line in lines[i + 1 : i + 8]:
        match = _HEADER_OTHER.match(line.strip())
        if match:
            labels.add(match.group(1).lower())
    return len(labels) >= 2


def _next_nonblank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _strip_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if i and line.rstrip() in ("--", "-- ", "—"):
            if _is_signature(lines[i + 1 :]):
                lines = lines[:i]
            break
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    for i in nonblank[-_FOOTER_WINDOW:]:
        if _MOBILE_FOOTER.match(lines[i].strip()):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or _SEPARATOR.match(lines[-1].strip())):
        lines = lines[:-1]
    return lines


def _is_signature(block: list[str]) -> bool:
    """What follows a "--" line is a signature unless one of its first lines is a question or
    a sentence of the writer (see `_MESSAGE_WORDS`)."""
    for line in [line.strip() for line in block if line.strip()][:3]:
        if _MOBILE_FOOTER.match(line) or _NOTICE.search(line):
            continue
        words = [word for word in line.split() if word not in ("|", "-", "·")]
        if line.endswith("?") or "? " in line or len(words) >= _MESSAGE_WORDS:
            return False
    return True
