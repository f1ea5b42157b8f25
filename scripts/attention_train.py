"""Train every E1 setting of one seed; write each one's per-epoch metrics and step losses."""

from prunescape.attention.model import AttentionConfig
from prunescape.attention.settings import selected_settings
from prunescape.attention.train import train_settings
from prunescape.io import load_checkpoint, write_csv
from prunescape.runtime import job

with job(snakemake.threads, snakemake.log[0]):
    cfg = snakemake.params.attention
    data, meta = load_checkpoint(snakemake.input.data)
    dataset = meta["dataset"]
    model_cfg = AttentionConfig(
        vocab_size=dataset["vocab_size"],
        seq_len=dataset["seq_len"],
        num_classes=dataset["num_classes"],
        **cfg["model"],
    )
    runs = train_settings(
        data,
        model_cfg,
        selected_settings(cfg),
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        seed=snakemake.params.seed,
    )
    # Outputs list the settings in attention.runs order, as selected_settings does.
    outputs = zip(runs.values(), snakemake.output.metrics, snakemake.output.steps, strict=True)
    for run, metrics_path, steps_path in outputs:
        write_csv(metrics_path, run.metrics())
        write_csv(steps_path, run.step_log())
