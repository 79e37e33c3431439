"""The overview's list of flow pages, grouped by integration (a large account has a thousand
flows: one flat list was a 32,000 px page); the page's script searches it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flowaudit.report.contexts import Link
from flowaudit.report.site import Site

OPEN_GROUPS_UP_TO = 60  # flows in all; a longer list starts with its groups folded


@dataclass(frozen=True)
class FlowGroup:
    integration: str  # its name today, or "(standalone)"
    flows: tuple[Link, ...]
    open: bool  # shown unfolded when the page opens


def flow_groups(site: Site) -> tuple[FlowGroup, ...]:
    """Every flow page's link, grouped by integration (by name), flows by name."""
    groups: dict[str, list[Link]] = defaultdict(list)
    for flow_id in site.flow_ids():  # already ordered by name
        groups[site.integration_of("flow", flow_id)].append(site.flow_link(flow_id, ""))
    unfold = sum(len(links) for links in groups.values()) <= OPEN_GROUPS_UP_TO
    # Named integrations first, the standalone flows last.
    order = sorted(groups, key=lambda name: (name == "(standalone)", name.lower(), name))
    return tuple(FlowGroup(name, tuple(groups[name]), unfold) for name in order)
