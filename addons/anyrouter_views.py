"""anyrouter's views only, for reading saved flows without proxying anything:

    mitmweb -n -r flows.mitm -s addons/anyrouter_views.py

Loading a flow file runs every addon's hooks on each flow, so the proxy chain of
`anyrouter.py` would treat saved flows as new requests (route, translate, count, …) and change
them. Here only the contentviews are loaded, and saved flows are shown as they were recorded.
"""

from anyrouter_addons.sse_contentview import SSEContentview

addons = [SSEContentview()]
