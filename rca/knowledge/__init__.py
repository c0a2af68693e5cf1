"""Knowledge: the domain facts the generic engine reads (link keys, noise, cause rules) as data.

The JWT Pizza pack ships in `packs/`; `load_pack(path)` reads another of the same shape.
"""

import os

from rca.lazy import lazy_exports

_EXPORTS = {
    "Pack": "rca.knowledge.pack",
    "default_pack": "rca.knowledge.pack",
    "load_pack": "rca.knowledge.pack",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
_HERE = os.path.dirname(os.path.abspath(__file__))


def shipped(name: str) -> bytes:
    """A file shipped with the knowledge (`secrets.json`, `packs/jwt-pizza.json`), read from
    beside this module, where it is installed with the code: `importlib.resources` would
    first import its readers and zipfile (~10 ms of a small analysis) to find the same file."""
    with open(os.path.join(_HERE, name), "rb") as f:
        return f.read()
