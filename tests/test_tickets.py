"""E3 over seeds: the per-run table, the paired claims and the sparsity shares."""

import math

import pandas as pd
import pytest
import torch

from prunescape.pruning import sparsity_report
from prunescape.stats import AGREES, DISAGREES, INCONCLUSIVE, NOT_TESTED
from prunescape.summary.claims import NOT_JUDGED
from prunescape.summary.e3 import MIN_LOSS_EFFECT, e3_claims, e3_table
from prunescape.tickets import (
    TicketRun,
    comparison_table,
    convergence_figure,
    markdown_table,
    mean_over_steps,
)

NAN = float("nan")
T_975_2 = 4.302652729911275  # Student t, 97.5 % quantile, 2 degrees of freedom


def metrics(val_losses, val_accs, steps_per_epoch=100):
    epochs = range(len(val_losses))
    return pd.DataFrame(
        {
            "epoch": list(epochs),
            "step": [steps_per_epoch * e for e in epochs],
            "train_loss": [NAN, *val_losses[1:]],
            "val_loss": val_losses,
            "val_acc": val_accs,
        }
    )


def status(frame, converged=True, diverged=False):
    trained = frame[(frame["epoch"] > 0) & frame["val_loss"].map(math.isfinite)]
    best = trained.loc[trained["val_loss"].idxmin()]
    return {
        "epochs_run": int(frame["epoch"].max()),
        "max_epochs": 10,
        "steps": int(frame["step"].max()),
        "converged": converged,
        "diverged": diverged,
        "stopped_by": "diverged" if diverged else ("converged" if converged else "epoch budget"),
        "best_epoch": int(best["epoch"]),
        "best_val_loss": float(best["val_loss"]),
    }


BASE = metrics([4.0, 3.0, 2.0, 1.5, 1.4], [0.0, 0.3, 0.55, 0.72, 0.75])
TICKET = metrics([4.0, 2.0, 1.5, 1.6], [0.0, 0.6, 0.8, 0.78])
DIVERGED = metrics([4.0, 3.5, NAN], [0.0, 0.2, NAN])


def runs():
    return [
        TicketRun(0, "random-80", DIVERGED, status(DIVERGED, False, True), 0.0),
        TicketRun(0, "w0-80", TICKET, status(TICKET), 20.0),
        TicketRun(0, "baseline", BASE, status(BASE, converged=False), 25.0),
    ]


SPARSITY = {(0, 80): {"pruned_prunable": 0.8, "pruned_all": 0.6}}


def test_table_values_against_hand_computed_numbers():
    table = comparison_table(runs(), SPARSITY, [0.7, 0.5, 0.9]).set_index("model")
    assert list(table.index) == ["baseline", "w0-80", "random-80"]  # baseline, w0, random
    assert table.loc["baseline", "init"] == "dense" and table.loc["baseline", "rate"] == 0
    assert table.loc["w0-80", "init"] == "w0" and table.loc["random-80", "init"] == "random"
    assert table.loc["baseline", "pruned_all"] == 0.0
    assert table.loc["w0-80", "pruned_prunable"] == 0.8 and table.loc["w0-80", "pruned_all"] == 0.6
    # first step whose epoch-end accuracy reaches the target
    assert table.loc["baseline", "steps_to_acc_50"] == 200
    assert table.loc["baseline", "steps_to_acc_70"] == 300
    assert math.isnan(table.loc["baseline", "steps_to_acc_90"])
    assert table.loc["w0-80", "steps_to_acc_50"] == 100
    assert table.loc["w0-80", "steps_to_acc_70"] == 200
    # best checkpoint: epoch 2 of the ticket (loss 1.5); its accuracy, not the maximum
    assert table.loc["w0-80", "best_epoch"] == 2 and table.loc["w0-80", "best_val_acc"] == 0.8
    assert table.loc["baseline", "best_val_acc"] == 0.75
    assert table.loc["w0-80", "final_val_acc"] == 0.78
    # common range: the smallest final step of the runs that did not diverge (300, not 200)
    assert (table["auc_end_step"] == 300).all()
    # trapezoids over 0..300: (4+3)/2·100 + (3+2)/2·100 + (2+1.5)/2·100 = 775
    assert table.loc["baseline", "val_loss_auc"] == pytest.approx(775 / 300)
    assert table.loc["w0-80", "val_loss_auc"] == pytest.approx(630 / 300)
    diverged = table.loc["random-80"]
    assert diverged["diverged"] and math.isnan(diverged["val_loss_auc"])
    assert not table.loc["baseline", "converged"] and table.loc["w0-80", "converged"]


def test_mean_over_steps_interpolates_inside_an_epoch():
    # 0..100: (4+3)/2·100 = 350; 100..150: loss 3 → 2.5, (3+2.5)/2·50 = 137.5
    assert mean_over_steps(BASE, "val_loss", 150) == pytest.approx(487.5 / 150)
    assert math.isnan(mean_over_steps(BASE, "val_loss", 500))  # past the curve's end
    assert math.isnan(mean_over_steps(DIVERGED, "val_loss", 150))  # finite only to 100


def test_markdown_states_the_range_and_figure_draws(tmp_path):
    table = comparison_table(runs(), SPARSITY, [0.5])
    text = markdown_table(table)
    assert text.startswith("| seed | model |") and "steps 0–300" in text
    fig = convergence_figure(runs(), [0.5], 300.0)
    assert "min–max" in fig.get_suptitle()
    fig.savefig(tmp_path / "a.png", metadata={"Software": None})
    fig.savefig(tmp_path / "b.png", metadata={"Software": None})
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_sparsity_report_shares():
    masks = {
        "a": torch.tensor([True, True] + [False] * 8),
        "b": torch.tensor([True] * 3 + [False] * 7),
    }
    report = sparsity_report(masks, 0.75, total_parameters=50)
    assert report["kept"] == 5 and report["total"] == 20
    assert report["pruned_prunable"] == pytest.approx(15 / 20)
    assert report["pruned_all"] == pytest.approx(15 / 50)
    with pytest.raises(ValueError):
        sparsity_report(masks, 0.75, total_parameters=10)


# --- claims ------------------------------------------------------------------------------


def claims_table(loss, auc=None, converged=(), diverged=()):
    """Rows per (seed, model) from per-model lists over seeds; ``converged``/``diverged``
    list the (seed, model) runs that did not converge / that diverged."""
    auc = auc or loss
    rows = []
    for model, values in loss.items():
        rate = 0 if model == "baseline" else int(model.rsplit("-", 1)[1])
        for seed, value in enumerate(values):
            rows.append(
                {
                    "seed": seed,
                    "model": model,
                    "pruned_prunable": rate / 100,
                    "pruned_all": 0.75 * rate / 100,
                    "epochs_run": 5,
                    "converged": (seed, model) not in converged,
                    "diverged": (seed, model) in diverged,
                    "best_val_loss": value,
                    "best_val_acc": 0.5 if model == "baseline" else 0.7,
                    "bleu": 20.0,
                    "steps_to_acc_70": NAN if model == "baseline" else 300.0,
                    "val_loss_auc": auc[model][seed],
                    "auc_end_step": 400.0,
                }
            )
    return pd.DataFrame(rows)


BASE_LOSS = [1.00, 1.10, 0.95]
CLEAR = {
    "baseline": BASE_LOSS,
    "w0-30": [1.05, 1.20, 1.02],  # worse than random-30 by 0.1: w0 does not beat random
    "random-30": [0.95, 1.10, 0.92],
    "w0-80": [0.90, 0.98, 0.86],  # better than the baseline by 0.10, 0.12, 0.09
    "random-80": [1.20, 1.35, 1.17],  # clearly worse than the baseline
}


def by_study(claims):
    return {c.study: c for c in claims}


def test_clear_paired_effects_and_their_interval():
    claims = by_study(e3_claims(claims_table(CLEAR)))
    wlt = claims["the 80 % WLT beats the dense baseline: final quality"]
    assert wlt.verdict == AGREES
    diffs = [-0.10, -0.12, -0.09]
    mean = sum(diffs) / 3
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 2)
    half = T_975_2 * sd / math.sqrt(3)
    assert f"Δ {mean:+.3g} [{mean - half:+.3g}, {mean + half:+.3g}]" in wlt.measured
    assert "n=3" in wlt.measured and f"min effect {MIN_LOSS_EFFECT:g} nats" in wlt.measured
    ticket_30 = claims[
        "tickets from w0 beat the same mask from a random init (30 % pruned): final quality"
    ]
    assert ticket_30.verdict == DISAGREES
    ticket_80 = claims["tickets from w0 beat the same mask from a random init (80 % pruned): speed"]
    assert ticket_80.verdict == AGREES and "steps 0–400" in ticket_80.measured
    assert "steps to val acc ≥ 70 %: 300 (3/3) vs 300 (3/3)" in ticket_80.measured


def test_overlapping_zero_is_inconclusive_and_one_seed_too():
    loss = dict(CLEAR, **{"w0-80": [1.05, 1.04, 0.96]})  # Δ +0.05, −0.06, +0.01
    claims = by_study(e3_claims(claims_table(loss)))
    assert claims["the 80 % WLT beats the dense baseline: final quality"].verdict == INCONCLUSIVE
    one = by_study(e3_claims(claims_table({m: v[:1] for m, v in CLEAR.items()})))
    wlt = one["the 80 % WLT beats the dense baseline: final quality"]
    assert wlt.verdict == INCONCLUSIVE and "no interval" in wlt.measured


def test_not_converged_quality_is_not_testable_but_speed_is():
    table = claims_table(CLEAR, converged={(1, "baseline")})
    claims = by_study(e3_claims(table))
    quality = claims["the 80 % WLT beats the dense baseline: final quality"]
    assert quality.verdict == NOT_TESTED
    assert quality.measured.startswith("not testable at this budget")
    assert "seed 1 baseline" in quality.measured
    assert claims["the 80 % WLT beats the dense baseline: speed"].verdict == AGREES
    # the w0/random pairs do not involve the baseline: still judged
    key = "tickets from w0 beat the same mask from a random init (80 % pruned): final quality"
    assert claims[key].verdict == AGREES


def test_diverged_run_leaves_its_claims_not_tested():
    auc = {m: list(v) for m, v in CLEAR.items()}
    auc["random-30"][2] = NAN
    table = claims_table(CLEAR, auc=auc, diverged={(2, "random-30")})
    claims = by_study(e3_claims(table))
    for aspect in ("final quality", "speed"):
        key = f"tickets from w0 beat the same mask from a random init (30 % pruned): {aspect}"
        assert claims[key].verdict == NOT_TESTED
        assert claims[key].measured == "not tested (diverged: seed 2 random-30)"


def test_random_80_does_not_beat_the_baseline():
    study = "the 80 % random-init ticket does not beat the dense baseline: final quality"
    assert by_study(e3_claims(claims_table(CLEAR)))[study].verdict == AGREES  # clearly worse
    equal = dict(CLEAR, **{"random-80": [1.001, 1.098, 0.95]})  # within ±0.02 of the baseline
    assert by_study(e3_claims(claims_table(equal)))[study].verdict == AGREES
    better = dict(CLEAR, **{"random-80": [0.90, 0.98, 0.86]})  # beats it by ~0.1
    claim = by_study(e3_claims(claims_table(better)))[study]
    assert claim.verdict == DISAGREES and "random-80 vs baseline" in claim.measured


def test_gap_claim_is_read_not_judged_and_top_rate_is_named():
    claims = e3_claims(claims_table(CLEAR))
    gap = claims[-1]
    assert gap.verdict == NOT_JUDGED
    assert "not judged: the talk names neither the pair nor how large" in gap.measured
    assert gap.measured.endswith("we read 'over-parameterised' as dense → 80 % WLT")
    gap_text = "final quality = val acc at the best epoch in %, w0-80 vs baseline, paired by seed, "
    assert gap_text + "n=3: 70 vs 50, Δ +20 [+20, +20]" in gap.measured
    spread = claims_table(CLEAR)
    w0_80 = spread["model"] == "w0-80"
    spread.loc[w0_80, "best_val_acc"] = [0.70, 0.72, 0.74]  # gaps 20, 22, 24 points
    # mean 22, sd 2: 22 ± t(0.975, 2) · 2 / √3 = 22 ± 4.97
    assert gap_text + "n=3: 72 vs 50, Δ +22 [+17, +27]" in e3_claims(spread)[-1].measured
    fifty = {m.replace("80", "50"): v for m, v in CLEAR.items()}
    studies = [c.study for c in e3_claims(claims_table(fifty))]
    assert "the 50 % WLT beats the dense baseline (the study's was 80 %" in " ".join(studies)


def test_e3_table_means_over_seeds():
    table = claims_table(CLEAR, converged={(1, "baseline")}).iloc[::-1]
    rows = e3_table(table).set_index("model")
    assert list(rows.index) == ["baseline", "w0-30", "random-30", "w0-80", "random-80"]
    assert rows.loc["w0-80", "pruned (of prunable / of all)"] == "80.0 % / 60.0 %"
    assert rows.loc["baseline", "converged"] == "2/3" and rows.loc["w0-80", "converged"] == "3/3"
    assert rows.loc["w0-80", "best val loss (mean ± sd)"].startswith("0.9133 ± ")
    assert rows.loc["baseline", "steps to val acc ≥ 70 % (seeds reaching)"] == "never (0/3)"
    assert rows.loc["w0-80", "steps to val acc ≥ 70 % (seeds reaching)"] == "300 (3/3)"
