"""Knowledge: the domain facts the generic engine reads (link keys, noise, cause rules) as data.

The JWT Pizza pack ships in `packs/`; `load_pack(path)` reads another of the same shape.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "Pack": "rca.knowledge.pack",
    "default_pack": "rca.knowledge.pack",
    "load_pack": "rca.knowledge.pack",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
