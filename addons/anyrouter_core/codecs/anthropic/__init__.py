"""The Anthropic Messages codec: requests (`request_decode`, `request_encode`), finished
answers (`answer`), streams (`stream_decoder`, `stream_encoder`), usage and stop reasons."""

NAME = "anthropic"  # the protocol's name in options, routes files and logs
