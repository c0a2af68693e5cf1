"""rca: turn Loki / Grafana / JSON log exports into incident findings.

Library API:
    from rca import ingest
    result = ingest(["logs.json"])      # -> Ingested(table: pyarrow.Table, inputs: [...])
"""

from loguru import logger

from rca.ingest import Ingested, InputSummary, ingest

# A library stays quiet; the CLI enables rca's diagnostics and chooses where they go.
logger.disable("rca")

__version__ = "0.1.0"
__all__ = ["Ingested", "InputSummary", "__version__", "ingest"]
