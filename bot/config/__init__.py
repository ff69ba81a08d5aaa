"""The bot's configuration: `load_settings` reads and checks it once at start."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values
from pydantic import ValidationError

from bot.config.errors import ConfigError
from bot.config.secrets import SECRET_MASK
from bot.config.settings import Settings

__all__ = ["SECRET_MASK", "ConfigError", "Settings", "load_settings"]


def _set_but_empty(name: str, env_file: str = ".env") -> bool:
    """Whether the variable is given, empty, in the environment or else in `.env`."""
    if name in os.environ:
        return not os.environ[name].strip()
    value = dotenv_values(env_file).get(name) if Path(env_file).is_file() else None
    return value is not None and not value.strip()


def load_settings() -> Settings:
    """Read and validate the settings, turning pydantic's report into one clear line."""
    try:
        settings = Settings()
        if _set_but_empty("REASONING_EFFORT"):
            # Empty means "do not send the parameter", not "use the default".
            settings = settings.model_copy(update={"reasoning_effort": ""})
        return settings
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        if error["type"] == "missing":
            raise ConfigError(f"missing setting {name}: it is required") from None
        raise ConfigError(f"bad setting {name}: {error['msg']}") from None
