"""E1's claims over seeds: paired intervals, minimum effects, untestable schedule claims."""

import pandas as pd
import pytest

from prunescape.stats import AGREES, DISAGREES, INCONCLUSIVE, NOT_TESTED
from prunescape.summary.e1 import (
    e1_claims,
    e1_table,
    measured_order_text,
    order_pairs,
)

SEEDS = (0, 1, 2)
# Per-seed offsets shared by every setting of a seed: the spread pairing removes.
SEED_SHIFT = (0.0, 0.05, -0.04)
STUDY_SPEEDS = {
    "adam": 0.40,
    "adam_plateau": 0.401,
    "nag_plateau": 0.45,
    "nag": 0.50,
    "sgd_plateau": 0.80,
    "sgd": 0.90,
}


def e1_summary(speeds=STUDY_SPEEDS, *, drops=1, acc_gain=0.0, p=1.5, winner="power", noise=None):
    """A summary.csv frame: every setting in every seed; plateau runs drop ``drops`` times.

    ``noise`` maps a setting to its per-seed speed noise.
    """
    noise = noise or {}
    rows = []
    for i, seed in enumerate(SEEDS):
        for setting, speed in speeds.items():
            plateau = setting.endswith("plateau")
            rows.append(
                {
                    "seed": seed,
                    "setting": setting,
                    "epochs": 12,
                    "lr_drops": drops if plateau else 0,
                    "val_loss_area": speed + SEED_SHIFT[i] + noise.get(setting, (0.0,) * 3)[i],
                    "epochs_to_threshold": float("nan") if setting == "sgd" else 3.0 + i,
                    "threshold": 0.45,
                    "final_train_loss": speed / 2,
                    "final_val_loss": speed / 2,
                    "best_val_loss": speed / 2,
                    "final_val_acc": 0.8
                    + SEED_SHIFT[i]
                    + (acc_gain * (0.9 + 0.1 * i) if setting == "sgd_plateau" else 0.0),
                    "rate_p": p + 0.01 * i,
                    "rate_p_se": 0.01,
                    "rate_winner": winner,
                }
            )
    return pd.DataFrame(rows)


def claim(summary, word):
    return next(c for c in e1_claims(summary) if word in c.study)


def test_the_study_order_agrees_pair_by_pair():
    summary = e1_summary()
    pairs = order_pairs(summary)
    assert len(pairs) == 14  # 15 pairs of six settings, less Adam ≈ Adam+RedLR
    assert set(pairs["verdict"]) == {AGREES}
    # Paired by seed, the shared seed shift cancels: every interval is a point.
    sgd = pairs[(pairs["faster (study)"] == "SGD+RedLR") & (pairs["slower (study)"] == "SGD")]
    assert sgd[["Δ", "95 % CI low", "95 % CI high"]].values.tolist() == [
        pytest.approx([-0.1, -0.1, -0.1])
    ]
    order = claim(summary, "convergence")
    assert order.verdict == AGREES and "n=3 seeds" in order.measured
    assert "agrees 14, disagrees 0, inconclusive 0" in order.measured
    assert measured_order_text(summary).startswith("Adam (0.403) > Adam+RedLR (0.404) > NAG+RedLR")


def test_a_clear_reversal_disagrees_and_is_named():
    summary = e1_summary({**STUDY_SPEEDS, "nag": 0.43})
    order = claim(summary, "convergence")
    assert order.verdict == DISAGREES
    assert "against the study: NAG before NAG+RedLR" in order.measured


def test_a_difference_below_the_minimum_effect_is_inconclusive():
    # NAG+RedLR faster than NAG by 0.005 in every seed: the interval excludes zero,
    # but the effect is under the stated minimum of 0.01.
    summary = e1_summary({**STUDY_SPEEDS, "nag": 0.455})
    pairs = order_pairs(summary)
    row = pairs[(pairs["faster (study)"] == "NAG+RedLR") & (pairs["slower (study)"] == "NAG")]
    assert row["95 % CI high"].item() < 0 and row["verdict"].item() == INCONCLUSIVE
    assert claim(summary, "convergence").verdict == INCONCLUSIVE


def test_seed_noise_larger_than_the_effect_is_inconclusive():
    summary = e1_summary({**STUDY_SPEEDS, "nag": 0.47}, noise={"nag": (0.06, -0.06, 0.0)})
    pairs = order_pairs(summary)
    row = pairs[(pairs["faster (study)"] == "NAG+RedLR") & (pairs["slower (study)"] == "NAG")]
    assert row["95 % CI low"].item() < 0 < row["95 % CI high"].item()
    assert row["verdict"].item() == INCONCLUSIVE


def test_schedule_claims_without_lr_drops_are_not_tested():
    identical = {**STUDY_SPEEDS, "adam_plateau": 0.40, "sgd_plateau": 0.90, "nag_plateau": 0.50}
    summary = e1_summary(identical, drops=0)
    for word in ("Adam and Adam+RedLR", "SGD's validation"):
        c = claim(summary, word)
        assert c.verdict == NOT_TESTED
        assert "0 times over 3 seeds" in c.measured and "identical" in c.measured
    pairs = order_pairs(summary)
    same = pairs[(pairs["faster (study)"] == "SGD+RedLR") & (pairs["slower (study)"] == "SGD")]
    assert same["verdict"].item() == NOT_TESTED
    assert measured_order_text(summary).endswith("> SGD+RedLR = SGD (0.903)")


def test_adam_and_adam_redlr_equal_within_the_margin_agree():
    c = claim(e1_summary(), "Adam and Adam+RedLR")
    assert c.verdict == AGREES
    assert "3 LR drops over 3 seeds" in c.measured and "n=3: 0.403 vs 0.404" in c.measured
    far = claim(e1_summary({**STUDY_SPEEDS, "adam_plateau": 0.43}), "Adam and Adam+RedLR")
    assert far.verdict == DISAGREES


@pytest.mark.parametrize(("gain", "verdict"), [(0.02, AGREES), (0.002, INCONCLUSIVE)])
def test_redlr_sgd_accuracy_needs_the_minimum_effect(gain, verdict):
    c = claim(e1_summary(acc_gain=gain), "SGD's validation")
    assert c.verdict == verdict and "min effect 0.005" in c.measured


def test_rate_claim_follows_p_and_the_aic_winner():
    assert claim(e1_summary(p=1.5), "O(1/T)").verdict == AGREES
    exp = claim(e1_summary(p=0.3, winner="exponential"), "O(1/T)")
    assert exp.verdict == DISAGREES
    assert "exponential fits better in 18 of 18 runs" in exp.measured
    assert "decays exponentially" in exp.measured
    assert claim(e1_summary(p=3.0), "O(1/T)").verdict == DISAGREES


def test_table_shows_means_over_seeds_fastest_first():
    table = e1_table(e1_summary())
    assert table["setting"].tolist()[:2] == ["Adam", "Adam+RedLR"]
    first = table.iloc[0]
    assert first["seeds"] == 3
    assert first["mean val loss over training"] == pytest.approx(0.40 + sum(SEED_SHIFT) / 3)
    assert first["epochs to val loss ≤ 0.45 (seeds reaching)"] == "4 (3/3)"
    assert table.iloc[-1]["epochs to val loss ≤ 0.45 (seeds reaching)"] == "never (0/3)"


def test_not_run():
    assert e1_claims(pd.DataFrame())[0].verdict == NOT_TESTED


def test_a_single_setting_has_no_ranked_pairs():
    only_adam = e1_summary({"adam": 0.4})
    assert order_pairs(only_adam).empty
    assert claim(only_adam, "convergence").verdict == NOT_TESTED
    assert claim(only_adam, "Adam and Adam+RedLR").measured.startswith("not run")
