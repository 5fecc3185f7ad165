"""The OpenAI Responses codec: requests (`request_decode`, `request_encode`), finished
answers (`answer`, Response objects), streams (`stream_decoder`, `stream_encoder`), usage and
errors. Codex CLI speaks only this protocol."""

NAME = "responses"  # the protocol's name in options, routes files and logs
