"""`scripts/demo` (README, Demo) really shows three answers through the proxy and saves flows
that hold no key."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from harness import PEERS_BIN, ROOT, clean_env

HEADINGS = (
    "1/3  openai SDK → proxy (OpenAI→Anthropic translation) → llama.cpp's Anthropic endpoint /v1/messages",
    "2/3  anthropic SDK → proxy (Anthropic→OpenAI translation) → llama.cpp's OpenAI endpoint /v1/chat/completions",
    "3/3  Claude Code → proxy (Anthropic→OpenAI translation) → llama.cpp's OpenAI endpoint /v1/chat/completions",
)
TIMEOUT = 180


def run_demo() -> tuple[int, str]:
    # Its own process group, so that a timeout stops the demo and (through its trap and
    # demo.py's clean-up) everything it started.
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "demo")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=clean_env(), cwd=ROOT, start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        pytest.fail(f"scripts/demo took more than {TIMEOUT}s:\n{output}")
    return process.returncode, output


def answer_under(section: str) -> str:
    match = re.search(r"^answer:  (.*?)\n\s+\(\d+ characters", section, re.S | re.M)
    assert match, section
    return match.group(1).strip()


@pytest.mark.timeout(TIMEOUT + 60)
def test_demo_shows_three_answers_and_saves_keyless_flows():
    status, output = run_demo()
    saved = re.findall(r"^file:    (\S+\.mitm)", output, re.M)
    flow_files = [Path(name) if Path(name).is_absolute() else ROOT / name for name in saved]
    try:
        check_output(status, output, flow_files)
    finally:
        for flow_file in flow_files:
            flow_file.unlink(missing_ok=True)


def check_output(status: int, output: str, flow_files: list[Path]) -> None:
    assert status == 0, output

    positions = [output.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions), output
    ends = positions[1:] + [output.index("Saved flows:")]
    sections = [output[start:end] for start, end in zip(positions, ends)]
    assert answer_under(sections[0]), sections[0]
    assert answer_under(sections[1]), sections[1]
    if (PEERS_BIN / "claude").exists():
        assert answer_under(sections[2]), sections[2]
        assert "anthropic→openai POST /v1/chat/completions" in sections[2]
    else:
        assert "skipped: Claude Code is not installed" in sections[2]
    # Each request went through its translation, to the endpoint the heading names.
    assert "openai→anthropic POST /v1/messages" in sections[0]
    assert "anthropic→openai POST /v1/chat/completions" in sections[1]

    [flow_file] = flow_files
    [command] = re.findall(r"^    (\S*scripts/inspect \S+\.mitm)$", output, re.M)
    assert command == f"scripts/inspect {flow_file.relative_to(ROOT)}"
    assert flow_file.parent == ROOT / "flows"
    raw = flow_file.read_bytes()
    assert raw
    assert b"sk-demo" not in raw  # every dummy key starts so; the file has fingerprints only
    for fingerprint in ("sk-…0001", "sk-…0002"):
        assert fingerprint.encode() in raw
    assert "only their fingerprints" in output
