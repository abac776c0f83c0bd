"""Process settings, read from the environment (and a `.env` file) as SPEC §1 lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Everything the process reads from its environment.

    App credentials are optional here because `config validate` and friends do not
    need them; `require_app()` enforces them for the commands that talk to GitHub.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    github_app_id: str | None = None
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    github_webhook_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    database_url: str = "sqlite:///governance.db"
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=8, ge=1, le=256)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["console", "json"] = "console"
    sweep_interval_seconds: float = Field(default=300.0, ge=0)  # 0: never search the App's delivery log
    # The web side: where GitHub's pages live (sign-in), the App's OAuth client, and the bot's own
    # public address (statuses' Details links and the sign-in callback are absolute URLs).
    github_web_url: str | None = None
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    public_url: str | None = None

    # Operational knobs that SPEC leaves to us (documented in the README).
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    retry_base_seconds: float = Field(default=2.0, ge=0)
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    max_body_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Intake limits (bot/intake.py): what clients that have not yet proven the signature can hold.
    webhook_read_timeout: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=256, ge=2)
    webhook_buffer_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str | None = None  # default: HOST
    delivery_retention_days: float = Field(default=14.0, gt=0)
    # Rule work off the event loop (bot/offload.py): worker processes, and seconds of such work
    # one delivery may use before its rules' statuses become `error`.
    offload_workers: int = Field(default=2, ge=1, le=64)
    rule_work_budget_seconds: float = Field(default=20.0, gt=0)
    # GitHub's secondary limits on content-creating requests, per installation (SPEC §2).
    writes_per_minute: int = Field(default=80, ge=1)
    writes_per_hour: int = Field(default=500, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("github_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL, e.g. https://api.github.com or https://HOST/api/v3")
        return value.rstrip("/")

    @field_validator("github_web_url", "public_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL, e.g. https://github.com")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @model_validator(mode="after")
    def _key_choice(self) -> "Settings":
        if self.github_private_key is not None and self.github_private_key_path is not None:
            raise ValueError("GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_PATH: set only one")
        if self.webhook_buffer_bytes < self.max_body_bytes:
            raise ValueError("WEBHOOK_BUFFER_BYTES: must be at least MAX_BODY_BYTES")
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise ValueError("METRICS_PORT: must differ from PORT")
        return self

    @property
    def graphql_url(self) -> str:
        """GraphQL lives beside the REST root: /graphql, or /api/graphql on Enterprise Server."""
        if self.github_api_url.endswith("/api/v3"):
            return self.github_api_url[: -len("/v3")] + "/graphql"
        return self.github_api_url + "/graphql"

    @property
    def web_url(self) -> str:
        """GitHub's web pages: GITHUB_WEB_URL, else github.com or the Enterprise host of the API URL."""
        if self.github_web_url:
            return self.github_web_url
        if self.github_api_url.endswith("/api/v3"):
            return self.github_api_url[: -len("/api/v3")]
        return "https://github.com"

    @property
    def oauth_configured(self) -> bool:
        return bool(self.github_client_id and self.github_client_secret and self.public_url)

    def private_key_pem(self) -> str:
        """The App's PEM key, from the variable or the file; raises SettingsError naming the variable."""
        if self.github_private_key is not None:
            pem = self.github_private_key.get_secret_value().replace("\\n", "\n")
            source = "GITHUB_PRIVATE_KEY"
        elif self.github_private_key_path is not None:
            source = "GITHUB_PRIVATE_KEY_PATH"
            try:
                pem = self.github_private_key_path.read_text()
            except OSError as exc:
                raise SettingsError(f"{source}: cannot read {self.github_private_key_path}: {exc.strerror}") from None
        else:
            raise SettingsError("GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH: one is required for serve")
        try:
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            load_pem_private_key(pem.encode(), password=None)
        except Exception:
            raise SettingsError(f"{source}: not a PEM-encoded private key") from None
        return pem

    def require_app(self) -> None:
        """Fail fast, naming the variable, when `serve` lacks what it needs."""
        if not self.github_app_id:
            raise SettingsError("GITHUB_APP_ID: required for serve")
        if not self.github_app_id.strip().isdigit():
            raise SettingsError("GITHUB_APP_ID: must be the App's numeric id")
        if self.github_webhook_secret is None or not self.github_webhook_secret.get_secret_value():
            raise SettingsError("GITHUB_WEBHOOK_SECRET: required for serve")
        self.private_key_pem()

    def secrets(self) -> list[str]:
        """Values that must never reach a log line or a reply."""
        values: list[str] = []
        if self.github_webhook_secret is not None:
            values.append(self.github_webhook_secret.get_secret_value())
        if self.github_private_key is not None:
            values.append(self.github_private_key.get_secret_value())
        if self.github_client_secret is not None:
            values.append(self.github_client_secret.get_secret_value())
        return [v for v in values if v]


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's error into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        message = first["msg"].removeprefix("Value error, ")
        if field == "settings" or not first["loc"]:
            raise SettingsError(message) from None
        raise SettingsError(f"{field.upper()}: {message}") from None
