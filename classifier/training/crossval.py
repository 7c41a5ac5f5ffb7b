"""Leave-one-set-out validation of the training data: for each graded set (A-G), train on the
generated rows, the realistic ones and the other six sets, and score the set left out.

    python -m classifier.training.crossval                     # the shipped settings
    python -m classifier.training.crossval --graded-weight 1 2 3 --generated 1 0.5 0 \\
        --epochs 4 6 --rule-weight 0.2 0.3 0.4 --json var/crossval.json

Every figure is a development figure: the sets are spent, their messages were read while the
rules were tuned. What it is for is choosing the training settings by the mean over seven
folds rather than by any one set. Each setting's folds train from scratch (seeded, so a run
repeats exactly); `--jobs 2` runs two folds at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from itertools import product
from pathlib import Path

from classifier.locations import GRADED_FILES, REALISTIC_FILE, TRAIN_FILE
from classifier.training.dataset import Row, read_rows


@dataclass(frozen=True, slots=True)
class Setting:
    graded_weight: int
    generated: float  # share of the generated rows kept (1: all, 0.5: every other one, 0: none)
    epochs: int


@dataclass(frozen=True, slots=True)
class Score:
    """One policy on one left-out set under one setting and rule weight."""

    setting: Setting | None  # None: the shipped model
    rule_weight: float
    left_out: str
    policy: str
    n: int
    acceptable: int
    top: int  # messages labelled at the top level
    top_found: int
    below: int  # messages labelled below the top level
    raised: int  # of those, proposed at the top level where a lead would not


def generated_share(rows: Sequence[Row], share: float) -> list[Row]:
    """Every k-th generated row (deterministic): 1 keeps all, 0.5 every other one, 0 none."""
    if share <= 0:
        return []
    step = round(1 / share)
    return list(rows[::step])


def fold_rows(setting: Setting, left_out: str, derived: dict[str, tuple[Row, ...]]) -> list[Row]:
    from classifier.training.train import REALISTIC_WEIGHT

    realistic = read_rows(REALISTIC_FILE)
    rows = generated_share(read_rows(TRAIN_FILE), setting.generated)
    rows += [r for r in realistic for _ in range(REALISTIC_WEIGHT)]
    for name, graded in derived.items():
        if name != left_out:
            rows += [r for r in graded for _ in range(setting.graded_weight)]
    return rows


def scores(
    triage: object, setting: Setting | None, rule_weights: Sequence[float], left_out: str
) -> list[Score]:
    from classifier.training.evaluate import evaluate
    from classifier.triage import Triage

    assert isinstance(triage, Triage)
    path = dict(GRADED_FILES)[left_out]
    rows = read_rows(path)
    out = []
    for weight in rule_weights:
        scorer = Triage(triage.nlp, trained=True, rule_weight=weight)
        for report in evaluate(scorer, rows):
            top = [s for s in report.scored if s.want == report.top]
            raised, below = report.raised_to_top
            out.append(
                Score(
                    setting,
                    weight,
                    left_out,
                    report.policy,
                    report.n,
                    sum(s.got in s.acceptable for s in report.scored),
                    len(top),
                    sum(s.got == report.top for s in top),
                    below,
                    raised,
                )
            )
    return out


def run_fold(
    setting: Setting,
    left_out: str,
    rule_weights: Sequence[float],
    derived: dict[str, tuple[Row, ...]],
) -> list[Score]:
    from classifier.training.train import fit
    from classifier.triage import Triage

    nlp, _, _ = fit(fold_rows(setting, left_out, derived), epochs=setting.epochs)
    return scores(Triage(nlp, trained=True), setting, rule_weights, left_out)


def derive_all() -> tuple[dict[str, tuple[Row, ...]], dict[str, dict[str, int]]]:
    from classifier.training.train import graded_rows

    derived, dropped = {}, {}
    for name, path in GRADED_FILES:
        result = graded_rows([path])
        derived[name] = result.rows
        dropped[name] = dict(result.dropped)
    return derived, dropped


def summary(found: Sequence[Score]) -> dict[str, float]:
    """Means over folds and policies: acceptable share (mean of the per-set, per-policy
    shares), top recall and raised-to-top (pooled counts)."""
    shares = [s.acceptable / s.n for s in found if s.n]
    top = sum(s.top for s in found)
    below = sum(s.below for s in found)
    return {
        "acceptable": sum(shares) / len(shares),
        "top_recall": sum(s.top_found for s in found) / top if top else float("nan"),
        "raised": sum(s.raised for s in found) / below if below else float("nan"),
        "raised_count": sum(s.raised for s in found),
        "top_missed": top - sum(s.top_found for s in found),
    }


def table(found: Sequence[Score], setting: Setting, weight: float, before_weight: float) -> str:
    """Markdown: per left-out set and policy, the shipped model (at `before_weight`) -> the
    setting's fold model (at `weight`): acceptable share, top recall, raised to top."""

    def pick(which: Setting | None, w: float) -> dict[tuple[str, str], Score]:
        return {
            (s.left_out, s.policy): s for s in found if s.setting == which and s.rule_weight == w
        }

    before, after = pick(None, before_weight), pick(setting, weight)
    lines = [
        f"graded x{setting.graded_weight}, generated {setting.generated:g}, epochs "
        f"{setting.epochs}, rule weight {weight:g} (before: the shipped model, rule weight "
        f"{before_weight:g})",
        "",
        "| set | policy | acceptable | top recall | raised to top |",
        "|---|---|---|---|---|",
    ]
    for key in sorted(after):
        a, b = after[key], before.get(key)
        if b is None:
            continue
        lines.append(
            f"| {key[0]} | {key[1]} | {b.acceptable / b.n:.3f} → {a.acceptable / a.n:.3f} "
            f"| {b.top_found}/{b.top} → {a.top_found}/{a.top} "
            f"| {b.raised}/{b.below} → {a.raised}/{a.below} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graded-weight", type=int, nargs="+", default=None)
    parser.add_argument("--generated", type=float, nargs="+", default=[1.0])
    parser.add_argument("--epochs", type=int, nargs="+", default=None)
    parser.add_argument("--rule-weight", type=float, nargs="+", default=None)
    parser.add_argument("--baseline", action="store_true", help="also score the shipped model")
    parser.add_argument(
        "--table", action="store_true", help="per set and policy, the shipped model -> each setting"
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write every score here")
    args = parser.parse_args(argv)

    from classifier.training.train import EPOCHS, GRADED_WEIGHT
    from classifier.triage import RULE_WEIGHT, Triage

    rule_weights = args.rule_weight or [RULE_WEIGHT]
    settings = [
        Setting(w, g, e)
        for w, g, e in product(
            args.graded_weight or [GRADED_WEIGHT], args.generated, args.epochs or [EPOCHS]
        )
    ]
    derived, dropped = derive_all()
    for name, rows in derived.items():
        print(f"set {name}: {len(rows)} rows trained, dropped {dropped[name] or 'none'}")
    found: list[Score] = []
    if args.baseline:
        shipped = Triage.load()
        for name, _ in GRADED_FILES:
            found += scores(shipped, None, rule_weights, name)
    jobs = [(s, name) for s in settings for name, _ in GRADED_FILES]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_fold, s, name, rule_weights, derived) for s, name in jobs]
        for future in futures:
            found += future.result()
    keys = sorted(
        {(s.setting, s.rule_weight) for s in found}, key=lambda k: (k[0] is not None, str(k))
    )
    for setting, weight in keys:
        mean = summary([s for s in found if s.setting == setting and s.rule_weight == weight])
        label = (
            "shipped model"
            if setting is None
            else (
                f"graded x{setting.graded_weight}, generated {setting.generated:g}, "
                f"epochs {setting.epochs}"
            )
        )
        print(
            f"{label}, rule weight {weight:g}: acceptable {mean['acceptable']:.3f}, "
            f"top recall {mean['top_recall']:.3f} ({mean['top_missed']} missed), "
            f"raised {mean['raised']:.3f} ({mean['raised_count']})"
        )
    if args.table:
        for setting, weight in keys:
            if setting is not None:
                print(table(found, setting, weight, rule_weights[0]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"dropped": dropped, "scores": [asdict(s) for s in found]}, indent=0)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
