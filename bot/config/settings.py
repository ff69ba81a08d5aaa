"""Settings: every environment variable of the bot, grouped by concern: the only home of
defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config.errors import ConfigError
from bot.config.hours import SupportHours, parse_hours
from bot.config.secrets import SECRET_MASK, url_passwords
from bot.config.webhooks import check_webhook_secret, check_webhook_urls, split_urls

DEFAULT_XAI_BASE_URL = "https://api.x.ai/v1"
# xAI retired grok-2-vision, grok-3, grok-4-0709 and the grok-4-1-fast and grok-4-fast families
# on 15 May 2026; its migration guide names grok-4.3 (tools, structured output, images).
DEFAULT_CHAT_MODEL = "grok-4.3"
DEFAULT_VISION_MODEL = "grok-4.3"
# grok-4.3 thinks by default; "none" answers at once, which is what a chat desk needs.
DEFAULT_REASONING_EFFORT = "none"
DEFAULT_DISCORD_API_BASE = "https://discord.com/api/v10"
DEFAULT_DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """The bot's configuration, read from the environment and `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        # Empty values count as unset, except REASONING_EFFORT (see `load_settings`).
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    # --- Discord: where the bot listens, where staff work, how it reaches Discord
    discord_token: SecretStr | None = None
    support_channel_id: int | None = Field(default=None, gt=0)
    staff_channel_id: int | None = Field(default=None, gt=0)
    # Unset: members with the Manage Threads permission work tickets.
    staff_role_id: int | None = Field(default=None, gt=0)
    discord_api_base: str = DEFAULT_DISCORD_API_BASE
    discord_gateway_url: str = DEFAULT_DISCORD_GATEWAY_URL

    # --- The model endpoint (any OpenAI-compatible one)
    xai_api_key: SecretStr | None = None
    xai_base_url: str = DEFAULT_XAI_BASE_URL
    chat_model: str = DEFAULT_CHAT_MODEL
    vision_model: str = DEFAULT_VISION_MODEL
    # Empty (REASONING_EFFORT=) means the parameter is not sent, for endpoints that lack it.
    reasoning_effort: str = DEFAULT_REASONING_EFFORT
    # The most tokens one model response may have (sent as `max_completion_tokens`): a cap
    # on what a runaway answer costs.
    max_output_tokens: int = Field(default=1024, ge=1)
    llm_connect_timeout: float = Field(default=10.0, gt=0)
    llm_read_timeout: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    # 0: no cap. The provider's own 429s, retried with backoff, are the signal of overload;
    # a cap of ours would queue customers at ordinary load.
    max_concurrent_llm_calls: int = Field(default=0, ge=0)
    # Tokens of history a request carries at most (older turns are trimmed in large steps).
    context_token_budget: int = Field(default=32_000, ge=1000)

    # --- The store: the SQLite file, or PostgreSQL when DATABASE_URL is set
    database_path: Path = Path("bot.sqlite3")
    # A secret (it may hold the password): masked in the logs.
    database_url: SecretStr | None = None

    # --- Limits: what one customer and one conversation get
    # Messages are never refused for pace: over this, the next turn waits a moment and then
    # answers every message that arrived meanwhile.
    turns_per_minute: int = Field(default=12, ge=1)
    # The cost cap: model tokens one customer's conversations may use in 24 hours; 0 = none.
    daily_tokens_per_customer: int = Field(default=500_000, ge=0)
    max_message_chars: int = Field(default=4000, ge=100)
    max_attachments_per_message: int = Field(default=4, ge=0)
    tickets_per_conversation_per_hour: int = Field(default=3, ge=1)
    # New conversations (threads) opened per minute in one server. Discord limits thread
    # creation per channel without publishing the figure (bursts draw 429s lasting minutes):
    # over this, a customer is told their conversation opens in a moment, and it does.
    threads_per_minute: int = Field(default=20, ge=1)

    # --- The help center: unset, the articles shipped in the package
    knowledge_dir: Path | None = None

    # --- Privacy: who sees a conversation, what is fetched, how long it is kept
    # private: a private thread per conversation, only the customer added (staff with
    # Manage Threads see it anyway); public: a public thread from the customer's message.
    thread_visibility: Literal["private", "public"] = "private"
    # Off: only images delivered in the conversation are read; a link a customer typed is
    # refused and fetched by nobody.
    allow_image_urls: bool = False
    # 0 (unset): conversations are kept until `forget`; otherwise idle ones are purged.
    retention_days: int = Field(default=0, ge=0)

    # --- Webhooks: ticket events for other systems (WEBHOOK_URLS before the secret: its
    # validator reads them)
    webhook_urls: str | None = None
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_timeout: float = Field(default=10.0, gt=0)

    # --- Actions: the company's own API as tools (an OpenAPI 3.0/3.1 document)
    actions_spec: Path | None = None
    # Unset: the document's first `servers` URL.
    actions_base_url: str | None = None
    # Sent as a bearer token on every action request; masked in the logs.
    actions_token: SecretStr | None = None

    # --- The operator's eval: the model that plays the customer (unset: CHAT_MODEL)
    simulator_model: str | None = None

    # --- Outcomes: ratings and cost
    # Minutes of quiet after an answer before the customer is asked for a rating (decimals
    # accepted); a ticket's Resolve asks at once.
    csat_after_minutes: float = Field(default=30.0, gt=0)
    # USD per million tokens: fresh input, cached input, output (the cost figures of `stats`).
    price_input: float = Field(default=1.25, ge=0)
    price_cached_input: float = Field(default=0.20, ge=0)
    price_output: float = Field(default=2.50, ge=0)
    # e.g. "Mon-Fri 09:00-18:00 Europe/London"; unset: no hours (a hand-off says nothing of
    # when a person will see it).
    support_hours: str | None = None
    # Conversations idle this many days are archived in Discord (0: never).
    archive_after_days: int = Field(default=7, ge=0)

    # --- Logging
    log_level: LogLevel = "INFO"

    @field_validator("support_hours")
    @classmethod
    def _support_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hours(value)
        return value

    def hours(self) -> SupportHours | None:
        """SUPPORT_HOURS, parsed (validated at start)."""
        return parse_hours(self.support_hours) if self.support_hours else None

    @field_validator("xai_base_url", "discord_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value

    @field_validator("xai_api_key", "discord_token")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("chat_model", "vision_model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value.strip()

    @field_validator("reasoning_effort")
    @classmethod
    def _reasoning_effort(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgres://", "postgresql://")
        ):
            raise ValueError("must start with postgres:// or postgresql://")
        if value is not None:
            try:
                urlsplit(value.get_secret_value()).port  # noqa: B018 - parses host and port
            except ValueError:
                # Never the value or a piece of it: an unencoded "/" or "#" in the password
                # shifts the password into what a parser calls the port.
                raise ValueError(
                    "is not a valid URL (percent-encode / # ? @ : in the user or password)"
                ) from None
        return value

    @property
    def store_location(self) -> Path | str:
        """What `Store.open` takes: the DATABASE_URL when set, else the DATABASE_PATH file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.database_path

    @property
    def secret_values(self) -> list[str]:
        """The value of every secret setting, for the logs to mask; DATABASE_URL's password
        also on its own (as written and decoded), since a driver's message may quote it."""
        values = [
            value.get_secret_value()
            for value in (getattr(self, name) for name in type(self).model_fields)
            if isinstance(value, SecretStr)
        ]
        if self.database_url is not None:
            values += url_passwords(self.database_url.get_secret_value())
        return values

    @field_validator("actions_spec", "knowledge_dir")
    @classmethod
    def _existing(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """ACTIONS_SPEC names a file, KNOWLEDGE_DIR a folder."""
        folder = info.field_name == "knowledge_dir"
        if value is not None and not (value.is_dir() if folder else value.is_file()):
            raise ValueError(f"{value} is not a {'folder' if folder else 'file'}")
        return value

    @field_validator("actions_base_url")
    @classmethod
    def _actions_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value is not None else None

    @property
    def shown_database_url(self) -> str | None:
        """DATABASE_URL as `check` shows it: the password (in the user part or a `password`
        query parameter) replaced by the mask."""
        if self.database_url is None:
            return None
        url = self.database_url.get_secret_value()
        for password in sorted(set(url_passwords(url)), key=len, reverse=True):
            url = url.replace(password, SECRET_MASK)
        return url

    @field_validator("webhook_urls")
    @classmethod
    def _webhook_urls(cls, value: str | None) -> str | None:
        return check_webhook_urls(value)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return check_webhook_secret(value, urls=info.data.get("webhook_urls"))

    @property
    def webhook_url_list(self) -> list[str]:
        """The WEBHOOK_URLS, one per receiver."""
        return split_urls(self.webhook_urls)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def require_llm(self) -> str:
        """The API key of the LLM endpoint, or raise: every command but `knowledge` needs it."""
        if self.xai_api_key is None:
            raise ConfigError("missing setting XAI_API_KEY: it is required")
        return self.xai_api_key.get_secret_value()

    def require_discord(self) -> tuple[str, int, int]:
        """Return token, support and staff channel ids, or raise naming what is missing."""
        token, support, staff = self.discord_token, self.support_channel_id, self.staff_channel_id
        if token is None or support is None or staff is None:
            missing = [
                name
                for name, value in (
                    ("DISCORD_TOKEN", token),
                    ("SUPPORT_CHANNEL_ID", support),
                    ("STAFF_CHANNEL_ID", staff),
                )
                if value is None
            ]
            raise ConfigError(f"missing setting {', '.join(missing)}: required to run the bot")
        return token.get_secret_value(), support, staff
