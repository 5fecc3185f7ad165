"""One codec per wire protocol: `anthropic` (Messages), `openai_chat` (Chat Completions).

Each package turns its protocol's requests, answers, event streams and errors into the
neutral model (`anyrouter_core.neutral`) and back; `base.py` says what a codec provides.
"""
