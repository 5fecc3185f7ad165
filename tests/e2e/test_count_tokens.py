"""`/v1/messages/count_tokens` with an OpenAI-compatible upstream: counted by the upstream
when it can (llama.cpp), otherwise estimated by the proxy (aimock has no such endpoint)."""

import anthropic

from anyrouter_core.codecs.anthropic.token_estimate import estimate_input_tokens

MESSAGES = [{"role": "user", "content": "How many tokens is this sentence, roughly?"}]


def test_upstream_that_counts_answers_itself(start_proxy, llama):
    proxy = start_proxy(llama.url, upstream_protocol="openai")
    client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-count-0001", max_retries=0)
    raw = client.messages.with_raw_response.count_tokens(model="smollm2", messages=MESSAGES)
    counted = raw.parse()
    assert isinstance(counted, anthropic.types.MessageTokensCount)
    assert "anyrouter-token-count" not in raw.headers
    # llama.cpp's count includes its chat template's default system prompt.
    assert counted.input_tokens > 10


def test_upstream_without_the_endpoint_gets_an_estimate_that_errs_high(anthropic_to_openai_proxy, relay):
    client = anthropic.Anthropic(base_url=anthropic_to_openai_proxy.url, api_key="sk-count-0002", max_retries=0)
    body = {"model": "claude-sonnet-4-6", "messages": MESSAGES, "system": "count me too: a2o-count"}
    raw = client.messages.with_raw_response.count_tokens(**body)
    assert raw.headers["anyrouter-token-count"] == "estimate"
    assert raw.parse().input_tokens == estimate_input_tokens(body)
    [asked] = relay.find("a2o-count")
    assert asked.path == "/v1/messages/count_tokens"
