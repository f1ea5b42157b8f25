"""The run's interactive landscape viewer: one offline HTML page."""

from prunescape.runtime import job
from prunescape.viewer import build_viewer

with job(snakemake.threads, snakemake.log[0]):
    build_viewer([snakemake.input.landscapes], snakemake.output[0], snakemake.params.title)
