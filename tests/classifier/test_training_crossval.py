"""Leave-one-set-out validation's bookkeeping: which generated rows a setting keeps, how the
folds' scores are summed up and tabled."""

from __future__ import annotations

from classifier.training.crossval import Score, Setting, generated_share, summary, table
from classifier.training.dataset import Row


def test_a_share_of_the_generated_rows_is_every_kth_row() -> None:
    rows = [Row("msp", "P1", "outage", "email", str(i), "down") for i in range(10)]
    assert generated_share(rows, 1.0) == rows
    assert [r.subject for r in generated_share(rows, 0.5)] == ["0", "2", "4", "6", "8"]
    assert generated_share(rows, 0) == []


def test_folds_are_summed_up_per_setting_and_tabled() -> None:
    setting = Setting(2, 1.0, 3)
    before = [
        Score(None, 0.3, "A", "msp", 10, 8, 2, 1, 8, 1),
        Score(None, 0.3, "B", "msp", 20, 18, 4, 4, 16, 0),
    ]
    after = [
        Score(setting, 0.3, "A", "msp", 10, 9, 2, 2, 8, 1),
        Score(setting, 0.3, "B", "msp", 20, 18, 4, 4, 16, 1),
    ]
    mean = summary(after)
    assert mean["acceptable"] == (0.9 + 0.9) / 2  # the mean of the per-set shares
    assert mean["top_recall"] == 1.0 and mean["top_missed"] == 0  # pooled over the folds
    assert mean["raised"] == 2 / 24 and mean["raised_count"] == 2
    assert summary(before)["top_missed"] == 1
    text = table([*before, *after], setting, 0.3, 0.3)
    assert "| A | msp | 0.800 → 0.900 | 1/2 → 2/2 | 1/8 → 1/8 |" in text
    assert "| B | msp | 0.900 → 0.900 | 4/4 → 4/4 | 0/16 → 1/16 |" in text
