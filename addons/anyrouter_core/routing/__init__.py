"""Routes: one proxy in front of many upstreams, chosen per request by a routes file.

- `routes_file.py` parses the file (`parse_routes`) into a `RoutingTable` (`table.py`: the
  upstreams, the rules, `choose`);
- `request_facts.py` says what routing knows of a request (`facts_of`, `facts_from_model`,
  `is_background_call`), `token_estimate.py` how its input tokens are estimated;
- `matching.py` is where a rule's `match` is held against those facts.

All of it is pure: the addon reads the file and applies the choice to the flow.
"""

from .matching import Match
from .request_facts import RequestFacts, facts_from_model, facts_of, is_background_call
from .routes_file import RoutesFileError, parse_routes
from .table import REVERSE_TARGET, RoutingRule, RoutingTable, Target, Upstream
from .token_estimate import estimate_tokens

__all__ = [
    "REVERSE_TARGET",
    "Match",
    "RequestFacts",
    "RoutesFileError",
    "RoutingRule",
    "RoutingTable",
    "Target",
    "Upstream",
    "estimate_tokens",
    "facts_from_model",
    "facts_of",
    "is_background_call",
    "parse_routes",
]
