"""Which statement of the state of things is the latest: a recovery and what follows it.

A reply tells a story, and a lead reads it in the order written. "We fixed DNS, all calls
flowing again since 13:05": the time after the recovery says when it came back, not since when
something fails. "It came back up at 9 but every call still drops": the failure after the
recovery, in the same sentence, is the state now; and "traffic is flowing again for the
moment" is not a recovery a lead would close the incident on. Pure functions over the signal
tagger's matches `(name, start, end)` and the sentence of each token, run after the matching
and before the breadth and scope rules; kept apart from `signals.py` to be read and tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Match = tuple[str, int, int]  # signal name, start token, end token

# What says that something fails now, after a recovery in the same sentence.
RELAPSE = frozenset({"outage", "degraded", "ongoing"})
# "flowing again for the moment", "works again, at least for now": a recovery that may not hold.
TEMPORARY_GAP = 3
WORKS_NOW = frozenset({"resolved", "unaffected"})
# "all calls flowing again since 13:05", "back online since 14:20 yesterday": a time this close
# after a recovery is when it came back, not since when something fails.
RECOVERY_TIME_GAP = 2
# ... and so is one just before it: "Since 14:30 yesterday everything has been stable".
RECOVERY_TIME_BEFORE = 2


def sentences(
    starts: Sequence[int], lengths: Sequence[int], spaces: Sequence[int], ends: Sequence[bool]
) -> list[int]:
    """The sentence number of each token: a new sentence after a token that ends one (`ends`:
    ".", "!", "?", ";") and after a line break. In cleaned text a token followed neither by its
    one space nor at once by the next token is followed by a line break."""
    sentence, numbers = 0, []
    last = len(starts) - 1
    for i, start in enumerate(starts):
        numbers.append(sentence)
        if i < last and (ends[i] or (not spaces[i] and starts[i + 1] > start + lengths[i])):
            sentence += 1
    return numbers


def settle_time(matches: list[Match], sentence_of: Callable[[], Sequence[int]]) -> list[Match]:
    """`matches` with a recovery's time, a relapse after it and a recovery for now settled (see
    the module), without the internal `temporary`; the sentences are only computed
    (`sentence_of`) when the message says something recovered or works for now."""
    names = {m[0] for m in matches}
    if "resolved" not in names and "temporary" not in names:
        return matches
    sentence = sentence_of()
    resolved = [m for m in matches if m[0] == "resolved"]
    temporary = [m for m in matches if m[0] == "temporary"]
    kept = []
    for m in matches:
        if m[0] == "temporary":
            continue
        if m[0] == "ongoing" and any(
            (
                # right after it, or inside it ("working normally since 9" / "since 9")
                (r[1] < m[1] and m[1] - r[2] <= RECOVERY_TIME_GAP)
                or 0 <= r[1] - m[2] <= RECOVERY_TIME_BEFORE
            )
            and sentence[m[1]] == sentence[r[1]]
            for r in resolved
        ):
            continue  # when it came back, not since when it fails
        kept.append(m)
    dropped = {
        r
        for r in resolved
        if any(m[1] >= r[2] and sentence[m[1]] == sentence[r[1]] for m in kept if m[0] in RELAPSE)
    }
    # "calls are working again for the moment": neither over nor a service that works
    dropped.update(
        m
        for m in kept
        if m[0] in WORKS_NOW
        and any(
            0 <= t[1] - m[2] <= TEMPORARY_GAP and sentence[t[1]] == sentence[m[1]]
            for t in temporary
        )
    )
    return [m for m in kept if m not in dropped] if dropped else kept
