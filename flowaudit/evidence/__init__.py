"""`flowaudit evidence`: one folder holding a period's change population as an auditor
needs it: complete or not (and where not), reproducible (the exact SQL of every file, run
by `flowaudit sql -f`), and verifiable (MANIFEST.sha256 for `sha256sum -c`, with the hash
chain's head for `flowaudit verify --head`).

    result = write_evidence(db, account="default", period=Period(start, end), out=Path("q1"))
"""

from flowaudit.evidence.export import DATA_FILES, EvidenceResult, write_evidence
from flowaudit.evidence.period import Period, parse_bound

__all__ = ["DATA_FILES", "EvidenceResult", "Period", "parse_bound", "write_evidence"]
