"""Turn whatever arrived into text the pipeline can read: never fails, always bounded.

Messages can hold HTML remnants, control characters, NUL bytes, binary garbage or a megabyte of
quoted log. The signals that matter are at the start (subject, first paragraphs), so the text is
cut at `MAX_CHARS`, which also bounds the time one message can take.
"""

from __future__ import annotations

import html
import re

MAX_CHARS = 4000

_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[/!?]?[A-Za-z][^<>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd\ufeff]+")
# Runs of blanks become one space. A lone space is already one, so a match starts only at a tab
# or no-break space, or at a blank another follows (replacing each of a message's hundreds of
# single spaces with itself cost most of `clean`).
_SPACES = re.compile(r"[ \t\u00a0](?:(?<=[\t\u00a0])|(?=[ \t\u00a0]))[ \t\u00a0]*")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_WORDLIKE = re.compile(r"[^\W_]", re.UNICODE)
_ITEM = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-*\u2022])[ \t]+(?=\S)", re.MULTILINE)
# After the last item of a list: a line that does not continue it (not in lower case), or the end.
_CLOSING_PARAGRAPH = re.compile(r"\n(?=[^\sa-z])|\Z")
# The same after a newline: `re` finds a literal first character fast, where `^` is tested at
# every position (a third of the time of `list_items` on a 3 KB mail).
_ITEM_AFTER_NEWLINE = re.compile(r"\n(?=[ \t]*(?:\d{1,2}[.)]|[-*\u2022])[ \t]+\S)")
# Where quoted history starts in a reply: "On Mon, 3 Jun 2024, Ann wrote:", Outlook's
# "-----Original Message-----" or "From: ... " block, its underscore rule, or a "> " line.
_QUOTE_START = re.compile(
    r"^[ \t]*(?:On\b[^\n]{0,200}\bwrote:[ \t]*$"
    r"|-{2,}[ \t]*(?:Original|Forwarded) Message[ \t]*-{2,}"
    r"|_{10,}[ \t]*$"
    r"|From:[^\n]*\n[ \t]*(?:Sent|Date):"
    r"|>)",
    re.MULTILINE | re.IGNORECASE,
)


# A closing formula on a line of its own ("Many thanks,", "Kind regards", "Cheers!"): what
# follows is the writer's name, title, address and phones, then perhaps a legal notice.
_SIGN_OFF = re.compile(
    r"^[ \t]*(?:(?:many|best|kind|warm(?:est)?|with (?:best|kind|warm)) (?:regards|wishes|thanks)"
    r"|regards|cheers|sincerely|yours(?: sincerely| truly)?|best|br|greetings|saludos|grazie"
    r"|mit freundlichen gr(?:ü|ue)(?:ß|ss)en|cordialement|thx"
    r"|thanks?(?: (?:you|a lot|again|so much|very much|in advance))*"
    r"(?: (?:and|&) (?:regards|sorry(?: again)?|best regards))?)"
    r"[ \t]*[,.!]*[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_POSTSCRIPT = re.compile(r"^[ \t]*P\.?[ \t]?S\.?(?=[\s:,.-])", re.MULTILINE)
# The line after a closing formula, when it is a signature: a name, short, not a sentence
# going on ("thanks\nwhat I already did:" is a reply that goes on after a polite word).
_NAME_LINE = re.compile(r"[^\n:?]{1,60}")
# A legal notice or mail-system footer ("This e-mail and any attachments are confidential..."):
# two different of these words in one paragraph. Written by the writer's mail server, not the
# writer, and full of words that read as trouble elsewhere ("corrupted", "destroyed", "lost").
_NOTICE_WORD = re.compile(
    r"confidential|vertraulich|riservat|privileged|intended (?:solely |only )?for"
    r"|intended recipient|addressee|adressat|destinataire|destinatario|\bvirus(?:es)?\b"
    r"|\bliabilit(?:y|ies)\b|unauthori[sz]ed|prohibited|forbidden|notify the sender|absender"
    r"|exp[ée]diteur|remitente|disclaimer|in error|par erreur|por error|any attachments"
    r"|files transmitted|pi[èe]ces jointes",
    re.IGNORECASE,
)
_NOTICE_HINT = ("confiden", "vertraul", "riservat", "intended", "virus", "disclaimer", "privileg")


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """Plain, bounded text: tags and entities resolved, control characters dropped."""
    if not text:
        return ""
    text = text[: limit * 4]
    # Lone surrogates (from `surrogateescape` decoding) cannot be encoded: replace them.
    text = text.encode("utf-8", "replace").decode("utf-8")
    if "<" in text:
        text = _TAG.sub(" ", _SCRIPT_STYLE.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _may_hold_control(text):
        text = _CONTROL.sub(" ", text)
    text = _BLANK_LINES.sub("\n", _one_space(text)).strip()
    return text[:limit]


def _one_space(text: str) -> str:
    """`_SPACES.sub(" ", text)`: runs of blanks become one space. Without tabs and no-break
    spaces that is runs of spaces, and splitting on the space does it at C speed (the
    expression tests every space of the text)."""
    if "\t" in text or "\u00a0" in text:
        return _SPACES.sub(" ", text)
    if "  " not in text:
        return text
    middle = " ".join(filter(None, text.split(" ")))
    if not middle:
        return " "  # all spaces
    return (" " if text[0] == " " else "") + middle + (" " if text[-1] == " " else "")


def _may_hold_control(text: str) -> bool:
    """False when `text` surely holds nothing `_CONTROL` removes: every such character but
    U+FFFD is unprintable, and `isprintable` is far faster than the search."""
    return "\ufffd" in text or not text.replace("\n", " ").isprintable()


def _may_quote(body: str) -> bool:
    """False when `body` surely holds no start of quoted history: each form needs one of these
    strings (`re.IGNORECASE` matches no other characters for their letters)."""
    if ">" in body or "--" in body or "__________" in body:
        return True
    lower = body.lower()
    return "wrote:" in lower or "from:" in lower


def latest_reply(body: str) -> str:
    """The newest text of a reply: everything before its quoted history. (The gateway's mail
    parser already does this for mail; here it covers bodies given to the classifier whole.)
    A body that is all quotation is kept whole."""
    match = _QUOTE_START.search(body) if _may_quote(body) else None
    if match is None:
        return body
    latest = body[: match.start()]
    return latest if has_words(latest) else body


def without_sign_off(text: str) -> str:
    """`text` (cleaned: one paragraph a line) without what a lead skips at its end: the
    signature after a closing formula ("Many thanks,\\nPieter Brandt\\nUC Specialist\\nOffice:
    ...") and legal notices ("This e-mail was scanned for viruses ... could be intercepted,
    corrupted, lost, destroyed"). A closing word followed by more of the message ("thanks\\n
    what I already did:") is not a signature, and a postscript after it ("P.S. ...") is kept.
    Text that would be left empty is kept whole."""
    kept = text
    for match in _SIGN_OFF.finditer(text):
        rest = text[match.end() :].lstrip("\n")
        name = rest.split("\n", 1)[0]
        if match.start() and rest and _NAME_LINE.fullmatch(name):
            # a postscript after the signature is the writer again ("P.S. the fax is down too")
            postscript = _POSTSCRIPT.search(rest)
            kept = text[: match.start()] + (rest[postscript.start() :] if postscript else "")
            break
    lower = kept.lower()
    if any(hint in lower for hint in _NOTICE_HINT):
        kept = "\n".join(line for line in kept.split("\n") if not _is_notice(line))
    return kept.strip() if has_words(kept) else text


def _is_notice(line: str) -> bool:
    return len({m.group().lower() for m in _NOTICE_WORD.finditer(line)}) >= 2


def compose(subject: str, body: str, limit: int = MAX_CHARS) -> str:
    """The subject, then the latest message (or transcript), cleaned and bounded."""
    subject = clean(subject or "", limit=300)
    body = clean(latest_reply(body or "")[: limit * 4], limit=limit)
    if subject and body:
        end = "" if subject[-1] in ".!?:" else "."
        return f"{subject}{end}\n{body}"[:limit]
    return subject or body


def message_text(subject: str, body: str, limit: int = MAX_CHARS) -> str:
    """The text to classify: `compose`'s, without the signature and legal notices."""
    return without_sign_off(compose(subject, body, limit))


def list_items(text: str) -> list[str]:
    """The items of a message written as a numbered or bulleted list ("1) ...", "- ..."), each
    with the lines that follow it; empty when there are fewer than two. A lead reads each item:
    an outage can be the third point of a mail that opens with a price question."""
    starts = [0] if _ITEM.match(text) else []
    starts += [match.start() + 1 for match in _ITEM_AFTER_NEWLINE.finditer(text)]
    if len(starts) < 2:
        return []
    ends = [*starts[1:], len(text)]
    return [text[start:end].strip() for start, end in zip(starts, ends, strict=True)]


def list_points(text: str) -> list[str]:
    """`list_items`, the last one ending with its line and the lines that continue it (wrapped:
    they start in lower case): a paragraph after the list ("We have questions we can't answer
    ourselves") is the message again, not the item."""
    items = list_items(text)
    if items:
        closing = _CLOSING_PARAGRAPH.search(items[-1])
        items[-1] = items[-1][: closing.start() if closing else None].strip()
    return items


def has_words(text: str) -> bool:
    """False for empty, whitespace-only or punctuation-only text."""
    return bool(_WORDLIKE.search(text))
