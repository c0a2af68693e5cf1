"""rca: turn Loki / Grafana / JSON log exports into incident findings.

Library API:
    from rca import ingest
    result = ingest(["logs.json"])      # -> Ingested(table: pyarrow.Table, inputs: [...])
"""

from rca.ingest import Ingested, InputSummary, ingest

__version__ = "0.1.0"
__all__ = ["Ingested", "InputSummary", "__version__", "ingest"]
