"""History: many outages at once: batch analysis, the Parquet store of past incidents, recurrence.

Runs on a local process pool by default and on Dask when one machine is not enough.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "run": "rca.history.batch",
    "load": "rca.history.store",
    "recurrences": "rca.history.store",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
