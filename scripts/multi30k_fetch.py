"""Fetch the released Multi30k raw files (or link a local copy) and check their SHA-256."""

import shutil
import urllib.request
from pathlib import Path

from prunescape.io import atomic_path
from prunescape.runtime import job
from prunescape.translation import multi30k

with job(snakemake.threads, snakemake.log[0]):
    local = snakemake.params.local_dir
    for target in map(Path, snakemake.output):
        with atomic_path(target) as tmp:
            if local:
                source = Path(local) / target.name
                if not source.is_file():
                    raise multi30k.DataError(
                        f"{source}: missing; data.multi30k_dir must hold the released raw files"
                    )
                shutil.copyfile(source, tmp)
            else:
                url = f"{snakemake.params.url}/{target.name}"
                print(f"downloading {url}", flush=True)
                with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
                    shutil.copyfileobj(response, out)
            digest = multi30k.sha256(tmp)
            if digest != multi30k.SHA256[target.name]:
                raise multi30k.DataError(
                    f"{target.name}: SHA-256 {digest[:12]}… differs from the released file"
                )
