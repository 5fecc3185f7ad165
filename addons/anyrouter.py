"""anyrouter: lets any LLM client talk to any LLM API, as a mitmproxy addon.

    mitmdump -s addons/anyrouter.py --mode reverse:https://anyrouter.top@127.0.0.1:8088

This file only assembles the steps. The order they run in is not this list's: each step
belongs to a phase (`anyrouter_addons.phases`), and the `Pipeline`, the one addon mitmproxy
sees, runs them sorted by phase, with `Finish` (body written, credentials sealed, state
published) always last.
"""

from anyrouter_addons.access_log import AccessLog
from anyrouter_addons.array_streams import ArrayStreams
from anyrouter_addons.attempts import Attempts
from anyrouter_addons.body_defaults import BodyDefaults
from anyrouter_addons.credential_vault import CredentialVault
from anyrouter_addons.dashboard import Dashboard
from anyrouter_addons.header_hygiene import HeaderHygiene
from anyrouter_addons.header_rules import HeaderRules
from anyrouter_addons.key_rotation import KeyRotation
from anyrouter_addons.local_endpoints import LocalEndpoints
from anyrouter_addons.model_map import ModelMap
from anyrouter_addons.passthrough_errors import PassthroughErrors
from anyrouter_addons.phases import Finish, Pipeline
from anyrouter_addons.request_checks import RequestChecks
from anyrouter_addons.routing import Routing, UpstreamAddress
from anyrouter_addons.sse_contentview import SSEContentview
from anyrouter_addons.startup import FreezeStartupObjects
from anyrouter_addons.stats import Stats
from anyrouter_addons.streaming import EventSizeLimit, SSEPassthrough
from anyrouter_addons.system_prompt import SystemPrompt
from anyrouter_addons.token_counting import TokenCounting
from anyrouter_addons.translation import Translation
from anyrouter_addons.upstream_errors import UpstreamErrors
from anyrouter_addons.upstream_failures import UpstreamFailures
from anyrouter_addons.upstream_timeouts import UpstreamTimeouts
from anyrouter_addons.usage_log import UsageLog
from anyrouter_addons.usage_meter import UsageMeter

vault = CredentialVault()
timeouts = UpstreamTimeouts()
keys = KeyRotation(vault)
routing = Routing(keys)
event_limit = EventSizeLimit()
body_defaults = BodyDefaults()
usage = UsageLog(vault, keys)

pipeline = Pipeline([
    routing,
    vault,
    HeaderHygiene(),
    RequestChecks(),
    LocalEndpoints(routing),
    Dashboard(),
    keys,
    Attempts(keys, routing),
    body_defaults,
    event_limit,
    Translation(event_limit, body_defaults),
    TokenCounting(),
    SystemPrompt(),
    ModelMap(event_limit),
    HeaderRules(),
    UpstreamAddress(),
    ArrayStreams(event_limit),
    SSEPassthrough(),
    timeouts,
    UsageMeter(event_limit),
    UpstreamErrors(),
    PassthroughErrors(),
    UpstreamFailures(),
    Stats(keys, routing, usage),
    usage,
    AccessLog(),
    SSEContentview(),
    FreezeStartupObjects(),
    Finish(vault),
])
addons = [pipeline]
