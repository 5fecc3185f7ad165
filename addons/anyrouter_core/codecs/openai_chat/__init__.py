"""The OpenAI Chat Completions codec: requests (`request_decode`, `request_encode`), finished
answers (`answer`), streams (`stream_decoder`, `stream_encoder`), usage and finish reasons."""

NAME = "openai"  # the protocol's name in options, routes files and logs
