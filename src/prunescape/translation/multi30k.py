"""The released Multi30k task-1 de→en files, checked against their SHA-256 sums."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

SPLITS = {"train": "train", "val": "val", "test": "test_2016_flickr"}
SHA256 = {
    "test_2016_flickr.de.gz": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
    "test_2016_flickr.en.gz": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
}
RELEASE_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw"


class DataError(ValueError):
    """A data file is missing or not the released one."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(directory: str | Path) -> None:
    """Raise a one-line error naming the first missing or altered file."""
    directory = Path(directory)
    for name, expected in SHA256.items():
        path = directory / name
        if not path.is_file():
            raise DataError(
                f"{path}: Multi30k file missing; set data.multi30k_dir to a folder with the "
                "released raw files, or to null to download them"
            )
        if sha256(path) != expected:
            raise DataError(f"{path}: SHA-256 differs from the released file ({expected[:12]}…)")


def read_split(directory: str | Path, split: str) -> list[tuple[str, str]]:
    """(German, English) pairs of one split, exactly as released (no filtering)."""
    stem = Path(directory) / SPLITS[split]
    with gzip.open(f"{stem}.de.gz", "rt", encoding="utf-8") as de_file:
        german = de_file.read().splitlines()
    with gzip.open(f"{stem}.en.gz", "rt", encoding="utf-8") as en_file:
        english = en_file.read().splitlines()
    if len(german) != len(english):
        raise DataError(f"{stem}.de.gz/.en.gz: {len(german)} vs {len(english)} lines")
    return list(zip(german, english, strict=True))


def read(directory: str | Path, train_pairs: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """All three splits, checksummed; ``train_pairs`` keeps the first N train pairs only."""
    verify(directory)
    splits = {split: read_split(directory, split) for split in SPLITS}
    if train_pairs is not None:
        if train_pairs > len(splits["train"]):
            raise DataError(
                f"config key data.train_pairs: expected at most {len(splits['train'])} "
                f"(the train split's size), got {train_pairs}"
            )
        splits["train"] = splits["train"][:train_pairs]
    return splits
