"""Train one E1 optimiser setting and write its per-epoch metrics."""

from prunescape.attention.model import AttentionConfig
from prunescape.attention.train import Setting, train
from prunescape.io import load_checkpoint, write_csv
from prunescape.runtime import job
from prunescape.seeding import derive_seed

with job(snakemake.threads, snakemake.log[0]):
    cfg = snakemake.params.attention
    name = snakemake.wildcards.setting
    plateau = cfg["plateau"]
    setting = Setting(
        **cfg["settings"][name],
        plateau_factor=plateau["factor"],
        plateau_patience=plateau["patience"],
        plateau_threshold=plateau["threshold"],
    )
    data, meta = load_checkpoint(snakemake.input.data)
    dataset = meta["dataset"]
    model_cfg = AttentionConfig(
        vocab_size=dataset["vocab_size"],
        seq_len=dataset["seq_len"],
        num_classes=dataset["num_classes"],
        **cfg["model"],
    )
    metrics = train(
        data,
        model_cfg,
        setting,
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        # One init for every setting, so the settings differ only in the optimiser.
        seed=derive_seed(cfg["seed"], "attention"),
    )
    write_csv(snakemake.output.metrics, metrics)
