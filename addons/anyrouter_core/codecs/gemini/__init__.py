"""The Gemini API codec: requests (`request_decode`, `request_encode`, with the JSON-schema
subset Gemini accepts in `schema_subset`), finished answers (`answer`, GenerateContentResponse
objects), streams (`stream_decoder`, `stream_encoder`: SSE with `alt=sse`, a JSON array
without), usage, errors and the model list. Gemini CLI speaks only this protocol.

Unlike the other protocols, Gemini names the model and whether to stream in the request's
path (`/v1beta/models/{model}:streamGenerateContent`), not in its body: `paths` lifts them
into the body the proxy works on and puts them back into the upstream's path.
"""

NAME = "gemini"  # the protocol's name in options, routes files and logs
