"""Write the generated part of the training set, `classifier/data/train.jsonl` (seeded).

    python -m classifier.training.generate   # rewrites classifier/data/train.jsonl

Messages are composed from the hand-written fragments in `classifier.training.phrases`:
symptoms in each product's vocabulary, who is affected, which environment, tone, openings and
sign-offs, and a voicemail-transcript style (lower case, no punctuation, fillers). Misleading
messages are included on purpose: "URGENT" questions, calm descriptions of full outages,
staging outages declared as top priority, outages behind a "quick question" subject.

Each row's `level` is the level the contract gives it, from `label()` below: our reading of the
seed agreements. The held-out file (`heldout.jsonl`) is written by hand, separately, with other
phrasing; this module never reads it.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.locations import TRAIN_FILE
from classifier.training.phrases import (
    BREADTH,
    CALM_OPENERS,
    COMPANIES,
    DOMAINS,
    FILL_WORDS,
    FILLERS,
    GREETINGS,
    MISLEADING_SUBJECTS,
    NAMES,
    NO_WORKAROUND,
    POLICY_DOMAIN,
    SCOPE,
    SIGNOFFS,
    SUBJECTS,
    TIMELINES,
    UNCLEAR,
    URGENT_OPENERS,
    VOICE_CLOSERS,
    VOICE_OPENERS,
    WORKAROUND,
    Domain,
)

SEED = 20240611
PER_POLICY = 600


@dataclass(frozen=True)
class Spec:
    severity: str
    breadth: str | None = None
    scope: str | None = None
    workaround: bool | None = None
    topic: str | None = None
    tone: str = "neutral"
    channel: str = "email"


def label(policy: str, spec: Spec) -> str:
    """The level our reading of each seed agreement gives a message of this shape."""
    domain = POLICY_DOMAIN[policy]
    if spec.severity == "unclear":
        return DEFAULT_LEVEL[domain]
    return LABELLERS[domain](spec)


def _telecom(s: Spec) -> str:
    if s.scope == "nonproduction" or s.severity not in ("outage", "degraded"):
        return "P3"
    if s.breadth == "one":
        return "P2" if s.severity == "outage" else "P3"
    return "P1" if s.severity == "outage" else "P2"


def _it(s: Spec) -> str:
    if s.severity == "outage":
        if s.scope == "nonproduction" or s.workaround or s.breadth == "one":
            return "P3"
        return "P1" if s.breadth == "all" else "P2"
    return {"degraded": "P3", "minor": "P4", "trivial": "P5", "question": "P5"}.get(
        s.severity, "P6"
    )


def _paas(s: Spec) -> str:
    if s.severity in ("outage", "degraded"):
        if s.topic == "dotnet":
            level = "L2"
        elif s.severity == "outage":
            level = "L2" if s.workaround or s.breadth == "one" else "L1"
        else:
            level = "L3" if s.workaround else "L2"
        return "L3" if s.scope == "nonproduction" else level
    return "L3" if s.severity == "minor" else "L4"


def _pbx(s: Spec) -> str:
    if s.topic in ("resolved", "account"):
        return "P3"
    if s.severity in ("outage", "degraded"):
        if s.scope == "nonproduction":
            return "P3"
        if s.topic == "portal":
            return "P2"
        if s.breadth == "one":
            return "P3"
        if s.severity == "outage":
            return "P2" if s.breadth == "some" else "P1"
        return "P2"
    if s.severity == "minor" and s.topic != "setup":
        return "P3"
    return "P4"


# The policies' default priorities: where a message with no usable signal goes.
DEFAULT_LEVEL = {"telecom": "P3", "it": "P4", "paas": "L4", "pbx": "P4"}
LABELLERS: dict[str, Callable[[Spec], str]] = {
    "telecom": _telecom,
    "it": _it,
    "paas": _paas,
    "pbx": _pbx,
}

SEVERITY_WEIGHTS = {
    "telecom": {"outage": 34, "degraded": 24, "minor": 10, "trivial": 5, "question": 12,
                "request": 8, "scheduled": 7, "unclear": 5},
    "it": {"outage": 34, "degraded": 14, "minor": 12, "trivial": 8, "question": 10,
           "request": 12, "scheduled": 10, "unclear": 5},
    "paas": {"outage": 34, "degraded": 22, "minor": 16, "trivial": 5, "question": 10,
             "request": 7, "scheduled": 6, "unclear": 5},
    "pbx": {"outage": 32, "degraded": 18, "minor": 16, "trivial": 4, "question": 9,
            "request": 14, "scheduled": 7, "unclear": 5},
}  # fmt: skip


class Composer:
    def __init__(self, rng: random.Random, domain: Domain) -> None:
        self.rng = rng
        self.d = domain
        self.thing = domain.things[0]

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def fill(self, template: str) -> str:
        def repl(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in ("thing", "Thing"):
                value = self.thing
                return value[0].upper() + value[1:] if key == "Thing" else value
            if key == "people":
                return self.pick(self.d.people)
            if key == "person":
                return self.pick(self.d.person)
            if key == "subset":
                return self.pick(self.d.subsets)
            if key == "name":
                return self.pick(NAMES)
            if key == "company":
                return self.pick(COMPANIES)
            if key == "phone":
                return f"{self.rng.randint(200, 989)} 555 {self.rng.randint(1000, 9999)}"
            return self.pick(FILLERS[key])

        return re.sub(r"\{(\w+)\}", repl, template)

    def spec(self, domain_name: str) -> Spec:
        weights = SEVERITY_WEIGHTS[domain_name]
        severity = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        roll = self.rng.random
        breadth = scope = topic = None
        workaround = None
        if severity == "outage":
            breadth = self.rng.choices(["all", None, "some", "one"], [45, 25, 15, 15])[0]
        elif severity == "degraded":
            breadth = self.rng.choices([None, "some", "all", "one"], [50, 25, 15, 10])[0]
        if severity in ("outage", "degraded", "minor") and roll() < 0.14:
            scope = "nonproduction"
        elif severity in ("outage", "degraded") and roll() < 0.3:
            scope = "production"
        if severity in ("outage", "degraded") and domain_name in ("it", "paas"):
            if roll() < 0.12:
                workaround = True
            elif roll() < 0.2:
                workaround = False
        topic = self._topic(domain_name, severity)
        tone = self.rng.choices(["neutral", "urgent", "calm"], [60, 22, 18])[0]
        channel = "voice" if roll() < 0.25 else "email"
        return Spec(severity, breadth, scope, workaround, topic, tone, channel)

    def _topic(self, domain_name: str, severity: str) -> str | None:
        roll = self.rng.random()
        if domain_name == "paas" and severity in ("outage", "degraded") and roll < 0.08:
            return "dotnet"
        if domain_name == "pbx":
            if severity in ("minor", "request") and roll < 0.2:
                return "account"
            if severity in ("outage", "degraded") and roll < 0.1:
                return "portal"
            if severity == "minor" and roll < 0.28:
                return "resolved"
            if severity in ("request", "question"):
                return "setup"
        return None

    def symptom(self, spec: Spec) -> str:
        if spec.severity == "unclear":
            return self.fill(self.pick(UNCLEAR))
        extra = self.d.extra
        if spec.topic in extra:
            return self.fill(self.pick(extra[spec.topic]))
        return self.fill(self.pick(getattr(self.d, spec.severity)))

    def compose(self, spec: Spec) -> tuple[str, str]:
        self.thing = self.pick(self.d.things)
        sentences = [_sentence(self.symptom(spec))]
        if spec.breadth:
            sentences.append(self.fill(self.pick(BREADTH[spec.breadth])))
        if spec.scope:
            sentences.append(self.pick(SCOPE[spec.scope]))
        if spec.workaround is True:
            sentences.append(self.pick(WORKAROUND))
        elif spec.workaround is False:
            sentences.append(self.pick(NO_WORKAROUND))
        if spec.severity in ("outage", "degraded", "minor"):
            sentences.append(self.fill(self.pick(TIMELINES)))
        middle = sentences[1:]
        self.rng.shuffle(middle)
        sentences = sentences[:1] + middle
        if spec.tone == "urgent":
            sentences.insert(0, self.pick(URGENT_OPENERS))
        elif spec.tone == "calm":
            sentences.insert(0, self.pick(CALM_OPENERS))
        sentences = [s for s in sentences if s]
        if spec.channel == "voice":
            return self._voicemail(sentences)
        return self._subject(spec), self._email(sentences)

    def _subject(self, spec: Spec) -> str:
        pool = SUBJECTS[spec.severity]
        misleading = MISLEADING_SUBJECTS.get(spec.severity)
        if misleading and self.rng.random() < 0.15:
            pool = misleading
        elif spec.tone == "urgent" and self.rng.random() < 0.5:
            return "URGENT: " + self.fill(self.pick(pool))
        return self.fill(self.pick(pool))

    def _email(self, sentences: list[str]) -> str:
        greeting = self.pick(GREETINGS)
        signoff = self.fill(self.pick(SIGNOFFS))
        body = " ".join(sentences)
        parts = [p for p in (greeting, body, signoff) if p]
        return "\n\n".join(parts) if self.rng.random() < 0.6 else " ".join(parts)

    def _voicemail(self, sentences: list[str]) -> tuple[str, str]:
        words = " ".join([self.fill(self.pick(VOICE_OPENERS)), *sentences])
        words += " " + self.fill(self.pick(VOICE_CLOSERS))
        words = re.sub(r"[^\w\s'%]", " ", words).lower()
        tokens = words.split()
        for _ in range(self.rng.randint(0, 3)):
            tokens.insert(self.rng.randint(0, len(tokens)), self.pick(FILL_WORDS))
        phone = f"+1 {self.rng.randint(200, 989)} 555 {self.rng.randint(1000, 9999):04d}"
        return f"Voicemail from {phone}", " ".join(tokens)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + ("?" if _is_question(text) else ".")


def _is_question(text: str) -> bool:
    first = text.split()[0].lower()
    return first in {"how", "is", "what", "where", "could", "does", "which", "can", "do"}


def generate(per_policy: int = PER_POLICY, seed: int = SEED) -> list[dict[str, str]]:
    rows = []
    for offset, (policy, domain_name) in enumerate(POLICY_DOMAIN.items()):
        rng = random.Random(seed + offset)
        composer = Composer(rng, DOMAINS[domain_name])
        for _ in range(per_policy):
            spec = composer.spec(domain_name)
            subject, body = composer.compose(spec)
            row = {
                "policy": policy,
                "level": label(policy, spec),
                "severity": spec.severity,
                "channel": spec.channel,
                "subject": subject,
                "body": body,
            }
            note = _note(spec)
            if note:
                row["note"] = note
            if spec.tone == "urgent" and spec.severity not in ("outage",):
                row["declared"] = "urgent"
            rows.append(row)
    return rows


def _note(spec: Spec) -> str | None:
    if spec.scope == "nonproduction" and spec.severity in ("outage", "degraded"):
        return f"misleading: {spec.severity} outside production"
    if spec.tone == "urgent" and spec.severity in ("question", "trivial", "request", "minor"):
        return f"misleading: urgent tone, {spec.severity}"
    if spec.tone == "calm" and spec.severity == "outage":
        return "misleading: calm description of an outage"
    return None


def write(path: Path = TRAIN_FILE) -> Counter[tuple[str, str]]:
    rows = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Counter((row["policy"], row["level"]) for row in rows)


if __name__ == "__main__":
    counts = write()
    for (policy, level), n in sorted(counts.items()):
        print(f"{policy:18} {level}  {n}")
