"""Seeds derived from the config seed and a target's coordinates.

Every random draw in the workflow takes its seed from here, so the same config
gives the same numbers whichever order (or machine) the jobs run in.
"""

from __future__ import annotations

import hashlib


def derive_seed(base: int, *parts: object) -> int:
    """A 31-bit seed determined by ``base`` and the parts (e.g. a setting name)."""
    text = "/".join([str(base), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF
