"""Field paths in plain words: the one mapping every page and the digest use to show an
internal field (`_flowGroupingId`, `pageGenerators[0]._exportId`) as a reader says it ("flow
group", "sources[0].export"). Only names are replaced; separators, positions and key
selectors (`[generate=Betrag]`) stay, and pages keep the raw path on hover."""

from __future__ import annotations

import re

# integrator.io's internal field names and the words a reader uses for them. A name not
# listed here is shown as it is.
FIELD_WORDS = {
    "_flowGroupingId": "flow group",
    "_connectionId": "connection",
    "_integrationId": "integration",
    "_exportId": "export",
    "_importId": "import",
    "_scriptId": "script",
    "_stackId": "stack",
    "_asyncHelperId": "async helper",
    "_iClientId": "iClient",
    "_templateId": "template",
    "_sourceId": "copied from",
    "_runNextFlowIds": "next flows",
    "_borrowConcurrencyFromConnectionId": "shares concurrency with connection",
    "_keepDeltaBehindFlowId": "keeps delta behind flow",
    "pageGenerators": "sources",
    "pageProcessors": "steps",
    "lastModified": "last modified",
    "createdAt": "created",
    "skipRetries": "skip retries",
    "autoResolveMatchingTraceKeys": "auto-resolve matching errors",
}

# Names between the separators: a segment of a dotted path, never text inside [...] selectors.
_TOKENS = re.compile(r"(\[[^\]]*\]|\.)")


def plain_path(path: str | None) -> str:
    """A field path with its internal names in plain words (the path itself when none is)."""
    if not path:
        return path or ""
    return "".join(FIELD_WORDS.get(token, token) for token in _TOKENS.split(path))
