"""The demo behind `scripts/demo`: anyrouter working end to end, with no API key and no network.

It starts, on free loopback ports and each in its own process group:
  - llama.cpp's server (xllamacpp) with SmolLM2-135M, a real model that speaks both the
    OpenAI Chat Completions and the Anthropic Messages protocol (tests/llama_server.py);
  - two proxies in front of it (mitmdump with addons/anyrouter.py): one with
    `upstream_protocol=anthropic`, one with `upstream_protocol=openai`, each saving its flows
    (keys redacted, streamed bodies kept);
then shows, printing the answers as they stream in:
  1. the `openai` SDK  → proxy (OpenAI→Anthropic)  → llama.cpp's /v1/messages
  2. the `anthropic` SDK → proxy (Anthropic→OpenAI) → llama.cpp's /v1/chat/completions
  3. Claude Code (when installed in .peers/) → the same Anthropic→OpenAI proxy
and ends with the saved flows, one file under flows/, and the command that opens it in mitmweb.

Everything it started is stopped when it ends, on an error, on Ctrl-C or on SIGTERM. Exit
status 0 means every answer was non-empty. Run it with `scripts/demo`, which sets up .venv
and the npm peers first.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from harness import (
    ADDON, LOOPBACK, PEERS_BIN, ROOT, VENV_BIN, Process, clean_env, free_port, status_is_200, stop_process_group,
)

# Dummy keys: llama.cpp asks for none, but the proxy handles them as it would real ones, and
# the saved flows must show only their fingerprints (the last four characters).
OPENAI_SDK_KEY = "sk-demo-openai-sdk-0001"
ANTHROPIC_SDK_KEY = "sk-demo-anthropic-sdk-0002"
CLAUDE_CODE_KEY = "sk-demo-claude-code-0003"
DEMO_KEYS = (OPENAI_SDK_KEY, ANTHROPIC_SDK_KEY, CLAUDE_CODE_KEY)

MAX_TOKENS = 48
MODEL = "smollm2"  # llama.cpp serves one model whatever the name; this is its alias
CLAUDE = PEERS_BIN / "claude"
CLAUDE_TIMEOUT = 90.0

PROMPTS = {
    1: "What is the capital of France? Answer in one sentence.",
    2: "What colour is the sky? Answer in one sentence.",
    3: "Say hello in one short sentence.",
}

HEADINGS = {
    1: "1/3  openai SDK → proxy (OpenAI→Anthropic translation) → llama.cpp's Anthropic endpoint /v1/messages",
    2: "2/3  anthropic SDK → proxy (Anthropic→OpenAI translation) → llama.cpp's OpenAI endpoint /v1/chat/completions",
    3: "3/3  Claude Code → proxy (Anthropic→OpenAI translation) → llama.cpp's OpenAI endpoint /v1/chat/completions",
}

_out = sys.stdout


def say(text: str = "", end: str = "\n") -> None:
    _out.write(text + end)
    _out.flush()


def heading(text: str) -> None:
    say()
    say("━" * 100)
    say(text)
    say("━" * 100)


def shown(path: Path) -> str:
    """A path as the user types it: relative to the current directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Interrupted(Exception):
    pass


class Demo:
    def __init__(self) -> None:
        self.started: list[Process] = []
        self.work = Path(tempfile.mkdtemp(prefix="anyrouter-demo-"))
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.flow_file = ROOT / "flows" / f"demo-{self.stamp}.mitm"
        self.part_files: list[Path] = []
        self.proxies: dict[str, tuple[str, Process]] = {}
        # For scripts/demo's trap: groups still running if this process is killed outright.
        self.pid_file = Path(os.environ["ANYROUTER_DEMO_PIDS"]) if os.environ.get("ANYROUTER_DEMO_PIDS") else None

    # ── processes ──────────────────────────────────────────────────────────────────────
    def _record_pids(self) -> None:
        if self.pid_file:
            alive = [p.popen.pid for p in self.started if p.popen.poll() is None]
            self.pid_file.write_text("".join(f"{pid}\n" for pid in alive))

    def launch(self, name: str, argv: list[str], port: int) -> Process:
        process = Process(name, argv, self.work / f"{name}-{port}.log")
        self.started.append(process)  # at once: an interrupt while it starts stops it too
        self._record_pids()
        return process

    def launch_llama(self) -> tuple[str, Process]:
        port = free_port()
        argv = [sys.executable, str(ROOT / "tests" / "llama_server.py"), str(port)]
        say(f"starting llama.cpp with SmolLM2-135M on {LOOPBACK}:{port}")
        return f"http://{LOOPBACK}:{port}", self.launch("llama.cpp", argv, port)

    def launch_proxy(self, upstream: str, protocol: str) -> tuple[str, Process]:
        port = free_port()
        part = self.work / f"flows-{protocol}.mitm"
        self.part_files.append(part)
        say(f"starting the proxy with upstream_protocol={protocol} on {LOOPBACK}:{port} → {upstream}")
        argv = [
            str(VENV_BIN / "mitmdump"),
            "-s", str(ADDON),
            "--mode", f"reverse:{upstream}@{LOOPBACK}:{port}",
            "--set", "connection_strategy=lazy",
            "--set", f"upstream_protocol={protocol}",
            "--set", "flow_detail=0",
            "-w", str(part),
            "--set", "store_streamed_bodies=true",
        ]
        url = f"http://{LOOPBACK}:{port}"
        process = self.launch(f"mitmdump-{protocol}", argv, port)
        self.proxies[protocol] = (url, process)
        return url, process

    def start_all(self) -> tuple[str, str]:
        """llama.cpp and both proxies, started together; returns the proxies' URLs once all
        answer /health (a lazy proxy does not need its upstream to start)."""
        t0 = time.monotonic()
        llama, llama_process = self.launch_llama()
        to_anthropic, anthropic_process = self.launch_proxy(llama, "anthropic")
        to_openai, openai_process = self.launch_proxy(llama, "openai")
        for url, process, timeout in ((llama, llama_process, 120), (to_anthropic, anthropic_process, 60),
                                      (to_openai, openai_process, 60)):
            process.wait_until(status_is_200(int(url.rsplit(":", 1)[1]), "/health"), timeout=timeout)
        say(f"all three ready in {time.monotonic() - t0:.1f}s")
        return to_anthropic, to_openai

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()
        self._record_pids()

    def proxy_log_lines(self, protocol: str, since: int) -> tuple[list[str], int]:
        """The proxy's access-log lines (one per request) written after line `since`."""
        lines = self.proxies[protocol][1].log_text().splitlines()
        access = [l.strip() for l in lines[since:] if "→" in l and " status=" in l]
        return access, len(lines)

    def show_proxy_log(self, protocol: str, since: int) -> None:
        # The proxy logs a request once its answer is complete, a moment after the client
        # has read the end of the stream.
        deadline = time.monotonic() + 5
        lines, _ = self.proxy_log_lines(protocol, since)
        while not lines and time.monotonic() < deadline:
            time.sleep(0.05)
            lines, _ = self.proxy_log_lines(protocol, since)
        for line in lines:
            say(f"proxy log: {line}")

    # ── the three steps ────────────────────────────────────────────────────────────────
    def openai_sdk(self, proxy: str) -> str:
        import openai

        heading(HEADINGS[1])
        say(f"client:  openai.OpenAI(base_url=\"{proxy}/v1\", api_key=\"{OPENAI_SDK_KEY}\")")
        say(f"         .chat.completions.create(model=\"{MODEL}\", stream=True, max_tokens={MAX_TOKENS})")
        say(f"prompt:  {PROMPTS[1]}")
        _, since = self.proxy_log_lines("anthropic", 0)
        client = openai.OpenAI(base_url=f"{proxy}/v1", api_key=OPENAI_SDK_KEY, max_retries=0, timeout=60)
        say("answer:  ", end="")
        t0 = time.monotonic()
        parts = []
        stream = client.chat.completions.create(
            model=MODEL, stream=True, max_tokens=MAX_TOKENS,
            messages=[{"role": "user", "content": PROMPTS[1]}],
        )
        finish = None
        for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
                    say(choice.delta.content, end="")
                finish = choice.finish_reason or finish
        answer = "".join(parts)
        say()
        say(f"         ({len(answer)} characters streamed as OpenAI chunks in {time.monotonic() - t0:.1f}s, finish_reason={finish})")
        self.show_proxy_log("anthropic", since)
        return answer

    def anthropic_sdk(self, proxy: str) -> str:
        import anthropic

        heading(HEADINGS[2])
        say(f"client:  anthropic.Anthropic(base_url=\"{proxy}\", api_key=\"{ANTHROPIC_SDK_KEY}\")")
        say(f"         .messages.stream(model=\"{MODEL}\", max_tokens={MAX_TOKENS})")
        say(f"prompt:  {PROMPTS[2]}")
        _, since = self.proxy_log_lines("openai", 0)
        client = anthropic.Anthropic(base_url=proxy, api_key=ANTHROPIC_SDK_KEY, max_retries=0, timeout=60)
        say("answer:  ", end="")
        t0 = time.monotonic()
        parts = []
        with client.messages.stream(
            model=MODEL, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": PROMPTS[2]}]
        ) as stream:
            for text in stream.text_stream:
                parts.append(text)
                say(text, end="")
            final = stream.get_final_message()
        answer = "".join(parts)
        say()
        say(f"         ({len(answer)} characters streamed as Anthropic events in {time.monotonic() - t0:.1f}s, "
            f"stop_reason={final.stop_reason})")
        self.show_proxy_log("openai", since)
        return answer

    def claude_code(self, proxy: str) -> str | None:
        heading(HEADINGS[3])
        if not CLAUDE.exists():
            say(f"skipped: Claude Code is not installed ({shown(CLAUDE)} is missing; scripts/setup installs it)")
            return None
        home = self.work / "claude-home"
        home.mkdir()
        argv = [str(CLAUDE), "-p", PROMPTS[3], "--bare", "--tools", ""]  # the prompt before `--tools ""`
        env = clean_env(
            HOME=str(home),
            ANTHROPIC_BASE_URL=proxy,
            ANTHROPIC_API_KEY=CLAUDE_CODE_KEY,
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        )
        say(f"client:  HOME=<temp dir> ANTHROPIC_BASE_URL={proxy} ANTHROPIC_API_KEY={CLAUDE_CODE_KEY} \\")
        say(f"         CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 claude -p \"{PROMPTS[3]}\" --bare --tools \"\" </dev/null")
        say("         (Claude Code asks for a Claude model by name; SmolLM2 answers whatever the name)")
        _, since = self.proxy_log_lines("openai", 0)
        say("answer:  ", end="")
        t0 = time.monotonic()
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=home, start_new_session=True,
        )
        proc = _Child(popen)
        self.started.append(proc)  # type: ignore[arg-type]
        self._record_pids()
        out, err = proc.stream_stdout(CLAUDE_TIMEOUT)
        answer = out.strip()
        if not out.endswith("\n"):
            say()
        say(f"         ({len(answer)} characters from Claude Code in {time.monotonic() - t0:.1f}s, exit status {popen.returncode})")
        if popen.returncode != 0 and err.strip():
            say(textwrap.indent(err.strip()[-2000:], "claude stderr: "))
        self.show_proxy_log("openai", since)
        return answer if popen.returncode == 0 else ""

    # ── the saved flows ────────────────────────────────────────────────────────────────
    def merge_flows(self) -> list:
        """One demo flow file from the two proxies' files, without the readiness polls."""
        from mitmproxy import io

        flows = []
        for part in self.part_files:
            if part.exists():
                with open(part, "rb") as file:
                    flows += [f for f in io.FlowReader(file).stream()
                              if not (f.request.method == "GET" and f.request.path == "/health")]
        flows.sort(key=lambda f: f.request.timestamp_start)
        self.flow_file.parent.mkdir(exist_ok=True)
        with open(self.flow_file, "wb") as file:
            writer = io.FlowWriter(file)
            for flow in flows:
                writer.add(flow)
        return flows

    def show_flows(self, flows: list) -> bool:
        heading("Saved flows: what each client sent and got, translated on the way, keys redacted")
        say(f"file:    {shown(self.flow_file)}  ({len(flows)} flows)")
        for flow in flows:
            info = flow.metadata.get("anyrouter", {})
            route = info.get("translation") or info.get("route", "passthrough")
            status = flow.response.status_code if flow.response else "error"
            keys = [f"{name}: {value}" for name, value in flow.request.headers.items()
                    if name.lower() in ("x-api-key", "authorization")]
            say(f"  {flow.request.method:4} {flow.request.pretty_url}  → {status}  [{route}]  "
                f"{'; '.join(keys) or 'no key header'}")
        raw = self.flow_file.read_bytes()
        found = [key for key in DEMO_KEYS if key.encode() in raw]
        say(f"keys:    the demo keys were {', '.join(DEMO_KEYS)};")
        if found:
            say(f"         FOUND IN THE SAVED FILE: {', '.join(found)}")
        else:
            say("         the saved file holds only their fingerprints (sk-…0001, sk-…0002, sk-…0003), never a key")
        return not found


class _Child:
    """Claude Code, in its own process group, its output passed on as it comes."""

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen

    def stream_stdout(self, timeout: float) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        pipes = {self.popen.stdout.fileno(): out, self.popen.stderr.fileno(): err}
        while pipes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError(f"Claude Code gave no complete answer within {timeout:.0f}s")
            ready, _, _ = select.select(list(pipes), [], [], remaining)
            for fd in ready:
                data = os.read(fd, 4096)
                if not data:
                    del pipes[fd]
                    continue
                pipes[fd] += data
                if fd == self.popen.stdout.fileno():
                    _out.write(data.decode(errors="replace"))
                    _out.flush()
        self.popen.wait(timeout=10)
        return out.decode(errors="replace"), err.decode(errors="replace")

    def stop(self) -> None:
        stop_process_group(self.popen)


def _on_signal(signum, _frame) -> None:
    # Once: a second signal (Ctrl-C reaches both scripts/demo and this process, and the
    # script forwards it) must not interrupt the clean-up.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    t0 = time.monotonic()
    demo = Demo()
    answers: dict[int, str | None] = {}
    ok = interrupted = False
    flows_ok = False
    try:
        say("anyrouter demo: a real model (SmolLM2-135M in llama.cpp) on loopback, two anyrouter proxies in")
        say("front of it, and real clients. No API key and no network needed; the keys below are dummies.")
        say()
        to_anthropic, to_openai = demo.start_all()
        answers[1] = demo.openai_sdk(to_anthropic)
        answers[2] = demo.anthropic_sdk(to_openai)
        answers[3] = demo.claude_code(to_openai)
        ok = True
    except Interrupted as stop:
        interrupted = True
        say()
        say(f"anyrouter demo: interrupted ({stop}), stopping everything it started")
    except Exception as exc:
        say()
        say(f"anyrouter demo: failed: {exc}")
        say(f"(logs of the processes it started: {demo.work})")
    finally:
        demo.stop_all()  # mitmdump writes its flow file completely when it stops
    if interrupted:
        shutil.rmtree(demo.work, ignore_errors=True)
        return 130
    if not ok:
        return 1
    try:
        flows = demo.merge_flows()
        flows_ok = demo.show_flows(flows)
    except Interrupted:
        return 1
    finally:
        for part in demo.part_files:
            part.unlink(missing_ok=True)

    inspect = ROOT / "scripts" / "inspect"
    say()
    say("Open them in mitmweb (the Event Stream view shows each stream event by event):")
    say()
    say(f"    {shown(inspect)} {shown(demo.flow_file)}")
    say()
    empty = [HEADINGS[i].split("  ")[1].split(" →")[0] for i, a in answers.items() if a is not None and not a.strip()]
    if empty:
        say(f"anyrouter demo: FAILED: no answer from {', '.join(empty)}")
    elif not flows_ok:
        say("anyrouter demo: FAILED: a demo key was saved in the flow file")
    else:
        skipped = " (Claude Code skipped: not installed)" if answers.get(3) is None else ""
        say(f"anyrouter demo: done in {time.monotonic() - t0:.0f}s, every answer non-empty{skipped}; everything it started is stopped")
    if not empty and flows_ok:
        shutil.rmtree(demo.work, ignore_errors=True)
        return 0
    say(f"(logs of the processes it started: {demo.work})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
