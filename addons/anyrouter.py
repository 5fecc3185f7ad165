"""anyrouter: lets any LLM client talk to any LLM API, as a mitmproxy addon.

    mitmdump -s addons/anyrouter.py --mode reverse:https://anyrouter.top@127.0.0.1:8088
"""

from anyrouter_addons.access_log import AccessLog
from anyrouter_addons.body_defaults import BodyDefaults
from anyrouter_addons.flow_state import RequestBodyWriter
from anyrouter_addons.header_hygiene import HeaderHygiene
from anyrouter_addons.local_endpoints import LocalEndpoints
from anyrouter_addons.routing import Routing
from anyrouter_addons.streaming import SSEPassthrough

addons = [
    Routing(),
    HeaderHygiene(),
    LocalEndpoints(),
    BodyDefaults(),
    RequestBodyWriter(),
    SSEPassthrough(),
    AccessLog(),
]
