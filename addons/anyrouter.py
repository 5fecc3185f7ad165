"""anyrouter: lets any LLM client talk to any LLM API, as a mitmproxy addon.

    mitmdump -s addons/anyrouter.py --mode reverse:https://anyrouter.top@127.0.0.1:8088

The order matters: each hook runs through the addons top to bottom.
"""

from anyrouter_addons.access_log import AccessLog
from anyrouter_addons.body_defaults import BodyDefaults
from anyrouter_addons.credential_vault import CredentialVault
from anyrouter_addons.flow_state import RequestBodyWriter
from anyrouter_addons.header_hygiene import HeaderHygiene
from anyrouter_addons.header_rules import HeaderRules
from anyrouter_addons.key_rotation import KeyRotation
from anyrouter_addons.local_endpoints import LocalEndpoints
from anyrouter_addons.model_map import ModelMap
from anyrouter_addons.passthrough_errors import PassthroughErrors
from anyrouter_addons.request_checks import RequestChecks
from anyrouter_addons.routing import Routing
from anyrouter_addons.sse_contentview import SSEContentview
from anyrouter_addons.stats import Stats
from anyrouter_addons.system_prompt import SystemPrompt
from anyrouter_addons.streaming import EventSizeLimit, SSEPassthrough
from anyrouter_addons.token_counting import TokenCounting
from anyrouter_addons.translation import Translation
from anyrouter_addons.upstream_errors import UpstreamErrors
from anyrouter_addons.upstream_failures import UpstreamFailures
from anyrouter_addons.upstream_timeouts import UpstreamTimeouts

vault = CredentialVault()
timeouts = UpstreamTimeouts()
keys = KeyRotation(vault, timeouts)
event_limit = EventSizeLimit()

addons = [
    Routing(),  # classify the route first: everything below depends on it
    RequestChecks(),  # wrong method (405), body too big (413): before anything reads or forwards
    HeaderHygiene(),
    LocalEndpoints(),  # answers /health and /v1/models before anything is forwarded
    keys,  # its response hook retries failed attempts before anything below reads the answer
    BodyDefaults(),
    event_limit,  # max_event_size, for the stream decoders of Translation and ModelMap
    Translation(event_limit),  # installs its stream translator before SSEPassthrough looks
    SystemPrompt(),  # after Translation: edits the body the upstream receives
    ModelMap(event_limit),  # after Translation, before SSEPassthrough: renames the model both ways
    HeaderRules(),  # after Translation: rules see the headers the upstream receives
    RequestBodyWriter(),  # after every addon that changes the request body
    SSEPassthrough(),
    timeouts,  # after every addon that answers locally or installs a stream
    TokenCounting(),  # before UpstreamErrors: a missing endpoint becomes an estimate
    UpstreamErrors(),
    PassthroughErrors(),  # errors on passed-through paths in an API client's protocol
    UpstreamFailures(),  # unreachable or broken-off upstream: an error in the client's protocol
    Stats(keys),  # answers /stats; counts each flow's final outcome, after retries
    AccessLog(),  # to log the final status
    SSEContentview(),  # shows text/event-stream bodies event by event in mitmweb
    vault,  # last: the upstream key goes on the wire only, after every addon changed the headers
]
