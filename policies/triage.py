"""Schema of a policy's `[triage]` table: how classifier signals map to this contract's levels.

The classifier (`classifier/`) reads a message and produces two kinds of evidence that do not
depend on any contract:

* a **severity** class, learned by a text categorizer: one of `SEVERITIES`;
* **signals**, found by rule matchers, each with the phrase that triggered it: scope
  (`production` / `nonproduction`), breadth (`all` / `some` / `one`), impact words, and topics
  such as `account` or `setup`. `SIGNALS` lists them all.

A contract's `[triage]` table turns that evidence into one of *its* levels, so a new contract
needs a table, not code:

```toml
[triage]
min_confidence = 0.4          # below this the proposal falls back to the default priority

[[triage.rules]]              # ordered: the first rule that matches decides the level
severity = ["outage"]         # any of these severities (empty: any severity)
signals = ["all"]             # every one of these signals present
unless = ["workaround"]       # none of these signals present
level = "P1"
reason = "global or widespread outage, no workaround"   # shown to staff, in the contract's words

[[triage.caps]]               # applied after the rules: never more urgent than `highest`
signals = ["nonproduction"]
highest = "P3"
reason = "Priority 1 does not include development issues or problems in staging environments"
```

A severity that no rule matches gets the policy's default priority. Level ids are checked
against the policy's priorities by `TriageRules.check_levels`.

Three more fields say what the contract does where the classifier should not decide alone:

```toml
[triage]
unreadable_level = "P2"         # text it cannot read (another language): this level, flagged
                                # for human triage (omitted: the default priority, flagged)
uncertain_level = "P2"          # conflicting signals or low confidence: this level, flagged
outrank_client_flags_at = 0.8   # a more urgent proposal at this confidence or above replaces a
                                # priority taken only from a mail client's flag (X-Priority,
                                # Importance): not the customer's deliberate declaration
```
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal[
    "outage",  # the service or a major function is down: fatal, cannot, nothing works
    "degraded",  # partly working: intermittent, dropping, slow, unstable, some functions fail
    "minor",  # a defect with little impact, or one that can be worked around
    "trivial",  # cosmetic, or explicitly no deadline / no rush
    "question",  # how-to, documentation, general question
    "request",  # feature or enhancement request, set-up or configuration request
    "scheduled",  # work to be scheduled at a later date or time
    "unclear",  # no usable signal: the default priority applies
]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

SignalName = Literal[
    # scope
    "production",
    "nonproduction",
    # breadth (at most one is reported per message)
    "all",
    "some",
    "one",
    # impact words (the same names as the severities they support, plus a generic fault)
    "outage",
    "degraded",
    "minor",
    "trivial",
    "question",
    "request",
    "scheduled",
    "fault",
    # topics
    "account",  # access to the account, passwords, log-in
    "setup",  # set-up and configuration work
    "portal",  # a web interface, dashboard or console
    "workaround",  # a workaround exists / is in use
    "no_workaround",  # the message says there is no workaround
    "dotnet",  # .NET, IIS or MS-SQL
    "regression",  # worked before: "stopped", "since yesterday", "no longer"
    "resolved",  # the problem is already resolved
    "monitoring",  # asked to keep the ticket open to monitor
    # time and kind of request
    "rfo",  # asks for the reason for (root cause of) an outage that is over
    "ongoing",  # says the problem is happening now ("still down", "right now", "again")
    # scope of impact beyond one customer
    "widespread",  # many customers or tenants affected, not only the writer's organisation
    # environment
    "newinstall",  # a new install or go-live, not yet a previously operational service
    # kind of request
    "enhancement",  # a feature, enhancement or upgrade request (not a routine change)
    # users not affected
    "unaffected",  # the service itself works ("calls work normally", "end users unaffected")
    # contract scope
    "out_of_scope",  # third-party products, carrier-side faults, performance tuning
    # time: the new text says it grew worse ("it got a lot worse", "no longer intermittent")
    "escalated",
    # a kind of fault some contracts name: one-way audio ("callers can't hear us")
    "one_way",
    # who writes: a developer hosted by a hosting provider, not the provider's own staff
    "hosted_developer",
    # what fails: a call-handling feature (voicemail delivery, call park, transfers)
    "call_feature",
]
SIGNALS: tuple[SignalName, ...] = get_args(SignalName)


class TriageRule(BaseModel):
    """One line of the mapping: when the evidence matches, the proposal is `level`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: str = Field(min_length=1)
    severity: tuple[Severity, ...] = ()
    signals: tuple[SignalName, ...] = ()
    unless: tuple[SignalName, ...] = ()
    reason: str = ""

    def matches(self, severity: str, signals: Collection[str]) -> bool:
        if self.severity and severity not in self.severity:
            return False
        if any(name not in signals for name in self.signals):
            return False
        return not any(name in signals for name in self.unless)


class TriageCap(BaseModel):
    """An upper bound: with these signals (and none of `unless`) the proposal is never more
    urgent than `highest`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signals: tuple[SignalName, ...] = Field(min_length=1)
    unless: tuple[SignalName, ...] = ()
    highest: str = Field(min_length=1)
    reason: str = ""

    def applies(self, signals: Collection[str]) -> bool:
        if any(name in signals for name in self.unless):
            return False
        return all(name in signals for name in self.signals)


class TriageRules(BaseModel):
    """A policy's `[triage]` table. Empty (the default) means: the classifier's generic mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_confidence: float = Field(default=0.4, ge=0.0, le=1.0)
    rules: tuple[TriageRule, ...] = ()
    caps: tuple[TriageCap, ...] = ()
    unreadable_level: str | None = Field(default=None, min_length=1)
    uncertain_level: str | None = Field(default=None, min_length=1)
    outrank_client_flags_at: float | None = Field(default=None, ge=0.0, le=1.0)

    def check_levels(self, known: Sequence[str]) -> list[str]:
        """Problems with level ids, as `field: problem` strings (empty when all are known)."""
        problems = []
        for i, rule in enumerate(self.rules):
            if rule.level not in known:
                problems.append(f"triage.rules[{i}].level: unknown level {rule.level!r}")
        for i, cap in enumerate(self.caps):
            if cap.highest not in known:
                problems.append(f"triage.caps[{i}].highest: unknown level {cap.highest!r}")
        for name in ("unreadable_level", "uncertain_level"):
            level = getattr(self, name)
            if level is not None and level not in known:
                problems.append(f"triage.{name}: unknown level {level!r}")
        return problems


# Declared-priority hints a mail client sets on its own: `gateway.parsing.declared` writes a
# priority header as lower-case "name:value" with no spaces ("x-priority:1", "importance:high").
# A flag, not the customer's deliberate declaration. (A subject tag keeps its case and spacing.)
_CLIENT_FLAG = re.compile(r"(x-priority|importance|priority|x-msmail-priority):[a-z0-9-]+")


def is_client_flag(hint: str) -> bool:
    """True for a hint taken from a mail client's priority header ("x-priority:1")."""
    return bool(_CLIENT_FLAG.fullmatch(hint))
