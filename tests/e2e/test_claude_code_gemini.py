"""Claude Code, an Anthropic client, through a real mitmdump with `upstream_protocol=gemini`
in front of aimock's Gemini endpoint (`/v1beta/models/{model}:streamGenerateContent`): a real
`Read` tool round trip whose function call Gemini signed.

Gemini puts a `thoughtSignature` on the `functionCall` part it answers and refuses a replayed
history whose call lacks it. aimock 1.43.0 cannot script one (its Gemini writer builds a
functionCall part from `name`, `args` and `id` only), and no other peer here speaks Gemini as
an upstream, so `SigningRelay` below, written for this test, sits between the proxy and
aimock: it records each request exactly as the proxy sent it (aimock's journal folds a Gemini
request into its chat shape and loses the parts) and adds the signature to every
`functionCall` part of aimock's event stream, passing everything else through line by line.
"""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_upstreams import LoopbackUpstream
from harness import LOOPBACK, PEERS_BIN, Aimock, clean_env, run_client
from recording_relay import Recorded

# The aimock fixture (tests/fixtures/aimock/claude_code_gemini.json) asks for this exact path.
WORKDIR = Path("/tmp/anyrouter-claude-gemini-e2e")
NOTE = WORKDIR / "note.txt"
NOTE_TEXT = "note-content-g3d7: the Gemini upstream works\n"
TOKEN = "note-content-g3d7"
PROMPT = "g3 claude code reads the note"
MODEL = "gemini-2.5-pro"
KEY = "AIzaSy-claude-code-gemini-0001"
SIGNATURE = "Q2xhdWRlQ29kZUdlbWluaVNpZ25hdHVyZS1nM2Q3"  # base64, as Gemini's are
STREAM_PATH = f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
# JSON Schema keywords outside the OpenAPI subset Gemini reads: a declaration with any of
# them is refused ("Invalid JSON payload received. Unknown name ...").
NOT_IN_GEMINI_SUBSET = {
    "$schema", "additionalProperties", "exclusiveMinimum", "exclusiveMaximum", "propertyNames",
    "const", "$ref", "$defs", "definitions", "patternProperties", "unevaluatedProperties",
    "if", "then", "else", "not", "dependentRequired", "dependentSchemas", "$id", "$comment",
    "contentEncoding", "contentMediaType", "examples",
}


class SigningRelay(LoopbackUpstream):
    """Records each request, forwards it to aimock, and signs aimock's function call parts."""

    def __init__(self, upstream_port: int, signature: str):
        super().__init__()
        self.upstream_port = upstream_port
        self.signature = signature
        self.requests: list[Recorded] = []
        self.signed = 0

    def answer(self, request) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Recorded(request.command, request.path, headers, request.body))
        upstream = http.client.HTTPConnection(LOOPBACK, self.upstream_port, timeout=60)
        upstream.request(
            "POST", request.path, body=request.body,
            headers={"content-type": headers.get("content-type", "application/json")},
        )
        answer = upstream.getresponse()
        request.start_chunked(answer.status, answer.getheader("content-type", "application/json"))
        while line := answer.readline():
            request.chunk(self._signed(line))
        request.end_chunked()
        upstream.close()

    def _signed(self, line: bytes) -> bytes:
        if not line.startswith(b"data:"):
            return line
        chunk = json.loads(line[len(b"data:"):])
        for candidate in chunk.get("candidates", []):
            for part in candidate.get("content", {}).get("parts", []):
                if "functionCall" in part:
                    part["thoughtSignature"] = self.signature
                    self.signed += 1
        ending = line[len(line.rstrip(b"\r\n")):]
        return b"data: " + json.dumps(chunk).encode() + ending


@pytest.fixture(scope="module")
def signing_relay(aimock: Aimock) -> Iterator[SigningRelay]:
    with SigningRelay(aimock.port, SIGNATURE) as relay:
        yield relay


def run_claude_on_gemini(prompt: str, proxy_url: str, home: Path, cwd: Path):
    """Claude Code with the proxy as its base URL, the Gemini key as its API key, a Gemini
    model name, and its whole conversation printed as JSON lines."""
    env = clean_env(
        HOME=str(home),
        ANTHROPIC_BASE_URL=proxy_url,
        ANTHROPIC_API_KEY=KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
    )
    return run_client([str(PEERS_BIN / "claude"), "-p", prompt, "--model", MODEL, "--output-format", "stream-json", "--verbose"], env, cwd, timeout=120)


def _schema_keywords(schema) -> set[str]:
    """Every key used as a schema keyword anywhere in `schema` (property names excluded)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    found |= _schema_keywords(sub)
            else:
                found |= _schema_keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _schema_keywords(item)
    return found


def test_claude_code_read_round_trip_on_a_gemini_upstream_keeps_the_thought_signature(
    start_proxy, signing_relay, tmp_path
):
    proxy = start_proxy(signing_relay.url, upstream_protocol="gemini")
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    NOTE.write_text(NOTE_TEXT)
    before = len(signing_relay.requests)
    result = run_claude_on_gemini(PROMPT, proxy.url, tmp_path, WORKDIR)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    outcome = events[-1]
    assert (outcome["type"], outcome["subtype"], outcome["is_error"]) == ("result", "success", False)
    assert outcome["result"] == "The note says the Gemini upstream works."
    assert (outcome["num_turns"], outcome["stop_reason"]) == (2, "end_turn")
    # Gemini's usageMetadata of both turns (the fixture's numbers) is what Claude Code counted.
    assert (outcome["usage"]["input_tokens"], outcome["usage"]["output_tokens"]) == (4321 + 4400, 17 + 9)

    # Claude Code saw the signature as a thinking block before the call, and the call itself.
    blocks = [
        block for event in events if event["type"] == "assistant" for block in event["message"]["content"]
    ]
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "text"]
    thinking, tool_use, text = blocks
    assert thinking == {"type": "thinking", "thinking": "", "signature": "gemini-thought-signature:" + SIGNATURE}
    assert (tool_use["name"], tool_use["input"]) == ("Read", {"file_path": str(NOTE)})
    assert text == {"type": "text", "text": "The note says the Gemini upstream works."}
    assert signing_relay.signed == 1, "aimock's answer had no functionCall part to sign"

    # Both turns went to Gemini's streaming endpoint for the model, with the key as Gemini's.
    turns = signing_relay.requests[before:]
    assert [(t.method, t.path) for t in turns] == [("POST", STREAM_PATH)] * 2
    for turn in turns:
        assert turn.headers["x-goog-api-key"] == KEY
        assert turn.headers["content-type"].startswith("application/json")
        assert not {"x-api-key", "authorization", "anthropic-version", "anthropic-beta"} & turn.headers.keys()
        assert "key=" not in turn.path
    first, follow_up = (t.body for t in turns)

    # The body is Gemini's: the model and stream flag live in the path, not the body.
    assert not {"model", "stream", "messages", "system", "max_tokens", "thinking", "metadata",
                "context_management", "output_config"} & first.keys()
    assert set(first) <= {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}
    assert first["systemInstruction"]["parts"] and all(
        set(p) == {"text"} and p["text"] for p in first["systemInstruction"]["parts"]
    )
    # Claude Code's thinking budget and output limit, in Gemini's names.
    assert first["generationConfig"] == {
        "maxOutputTokens": 32000, "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 16384},
    }
    assert {c["role"] for c in first["contents"]} <= {"user", "model"}
    assert first["contents"][0]["role"] == "user"
    assert PROMPT in json.dumps(first["contents"][-1])

    # Claude Code's tools are one entry of function declarations, each in Gemini's subset.
    [tools] = first["tools"]
    assert set(tools) == {"functionDeclarations"}
    declarations = tools["functionDeclarations"]
    names = [d["name"] for d in declarations]
    assert "Read" in names and len(names) == len(set(names)) and len(names) >= 5
    for declaration in declarations:
        assert set(declaration) <= {"name", "description", "parameters"}, declaration["name"]
        if "parameters" in declaration:
            used = _schema_keywords(declaration["parameters"])
            assert not used & NOT_IN_GEMINI_SUBSET, (declaration["name"], used & NOT_IN_GEMINI_SUBSET)
            assert declaration["parameters"]["type"] == "object"
    [read] = [d for d in declarations if d["name"] == "Read"]
    assert read["parameters"]["required"] == ["file_path"]
    assert read["parameters"]["properties"]["file_path"]["type"] == "string"
    assert follow_up["tools"] == first["tools"]
    assert follow_up["systemInstruction"] == first["systemInstruction"]

    # The follow-up replays the model's call with Gemini's signature on the functionCall part,
    # then answers it with a functionResponse holding the note.
    assert follow_up["contents"][: len(first["contents"])] == first["contents"]
    model_turn, result_turn = follow_up["contents"][len(first["contents"]):]
    assert model_turn["role"] == "model"
    [call_part] = [p for p in model_turn["parts"] if "functionCall" in p]
    assert call_part["thoughtSignature"] == SIGNATURE
    assert call_part["functionCall"]["name"] == "Read"
    assert call_part["functionCall"]["args"] == {"file_path": str(NOTE)}
    # Only the call (and no text or stray signed part Claude Code never sent) is replayed.
    assert [p for p in model_turn["parts"] if p is not call_part and not p.get("thought")] == []
    assert result_turn["role"] == "user"
    [response_part] = [p for p in result_turn["parts"] if "functionResponse" in p]
    response = response_part["functionResponse"]
    assert response["name"] == "Read"
    assert response["id"] == call_part["functionCall"]["id"] == tool_use["id"]
    assert TOKEN in json.dumps(response["response"])
    assert set(response["response"]) == {"output"}
