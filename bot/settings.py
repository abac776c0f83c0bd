"""Process settings, read from the environment (and a `.env` file) as SPEC §1 lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """Settings are missing or malformed: one line per problem, each naming its variable."""

    def __init__(self, lines: str | list[str]) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class Settings(BaseSettings):
    """Everything the process reads from its environment.

    App credentials are optional here because `config validate` and friends do not
    need them; `require_app()` enforces them for the commands that talk to GitHub.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    github_app_id: str | None = Field(default=None, description="the App's numeric id (required for serve)")
    github_private_key: SecretStr | None = Field(
        default=None, description="the App's PEM private key, inline (\\n escapes allowed)")
    github_private_key_path: Path | None = Field(default=None, description="or: a file holding that key")
    github_webhook_secret: SecretStr | None = Field(
        default=None, description="the App's webhook secret (required for serve)")
    github_api_url: str = Field(default="https://api.github.com",
                                description="API base; GitHub Enterprise Server: https://HOST/api/v3")
    github_web_url: str | None = Field(
        default=None, description="where setup sends the App manifest (default: github.com, or the Enterprise host)")
    github_client_id: str | None = Field(default=None, description="the App's OAuth client id (written by setup)")
    github_client_secret: SecretStr | None = Field(
        default=None, description="the App's OAuth client secret (written by setup)")
    public_url: str | None = Field(
        default=None, description="the bot's public https:// address (statuses' Details links, sign-in callback)")
    database_url: str = Field(default="sqlite:///governance.db",
                              description="sqlite:///PATH or postgresql://user:pass@host/db")
    host: str = Field(default="0.0.0.0", description="address serve listens on")
    port: int = Field(default=8080, ge=1, le=65535, description="port serve listens on")
    workers: int = Field(default=8, ge=1, le=256, description="deliveries processed at once per process")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="the bot's own log level (libraries stay at WARNING)")
    log_format: Literal["console", "json"] = Field(default="console", description="console, or json: one object a line")
    sweep_interval_seconds: float = Field(
        default=300.0, ge=0, description="how often the App's delivery log is searched for missed deliveries (0: never)")

    # Operational knobs that SPEC leaves to us (documented in the README).
    lease_seconds: float = Field(default=60.0, gt=0, description="how long a claimed delivery is held")
    max_attempts: int = Field(default=6, ge=1, description="tries per delivery before it is failed")
    retry_base_seconds: float = Field(default=2.0, ge=0, description="first retry delay (doubles each time)")
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, description="on SIGTERM, time for in-flight work")
    max_body_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, description="largest webhook body accepted")
    # Intake limits (bot/intake.py): what clients that have not yet proven the signature can hold.
    webhook_read_timeout: float = Field(default=10.0, gt=0, description="seconds a webhook body may take to arrive")
    max_connections: int = Field(default=256, ge=2, description="open connections accepted at once")
    webhook_buffer_bytes: int = Field(default=64 * 1024 * 1024, ge=1024,
                                      description="webhook bodies buffered at once, in bytes")
    metrics_port: int | None = Field(default=None, ge=1, le=65535,
                                     description="serve /metrics on this port instead of PORT")
    metrics_host: str | None = Field(default=None, description="address for METRICS_PORT (default: HOST)")
    delivery_retention_days: float = Field(default=14.0, gt=0, description="finished deliveries kept this long")
    # Rule work off the event loop (bot/offload.py): worker processes, and seconds of such work
    # one delivery may use before its rules' statuses become `error`.
    offload_workers: int = Field(default=2, ge=1, le=64, description="processes for rule work off the event loop")
    rule_work_budget_seconds: float = Field(default=20.0, gt=0,
                                            description="seconds of rule work per delivery before its statuses are error")
    # GitHub's secondary limits on content-creating requests, per installation (SPEC §2).
    writes_per_minute: int = Field(default=80, ge=1, description="per-installation writes in any rolling minute")
    writes_per_hour: int = Field(default=500, ge=1, description="per-installation writes in any rolling hour")

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
            from bot.app_key import parse_private_key

            parse_private_key(pem)  # kept: the server signs with this parse (bot.app_key)
        except Exception:
            raise SettingsError(f"{source}: not a PEM-encoded private key") from None
        return pem

    def app_errors(self) -> list[str]:
        """What `serve` lacks, one line per variable (empty when it has everything)."""
        errors: list[str] = []
        if not self.github_app_id:
            errors.append("GITHUB_APP_ID: required for serve (run `governance-bot setup` to create the App)")
        elif not self.github_app_id.strip().isdigit():
            errors.append("GITHUB_APP_ID: must be the App's numeric id")
        if self.github_webhook_secret is None or not self.github_webhook_secret.get_secret_value():
            errors.append("GITHUB_WEBHOOK_SECRET: required for serve")
        try:
            self.private_key_pem()
        except SettingsError as exc:
            errors.extend(exc.lines)
        return errors

    def require_app(self) -> None:
        """Fail fast, naming every variable `serve` lacks."""
        errors = self.app_errors()
        if errors:
            raise SettingsError(errors)

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


def _line(error: dict) -> tuple[str | None, str]:
    field = str(error["loc"][0]) if error["loc"] else None
    message = error["msg"].removeprefix("Value error, ")
    return field, f"{field.upper()}: {message}" if field else message


def load_settings(*, for_serve: bool = False, **overrides: object) -> Settings:
    """Build Settings; every malformed (and, `for_serve`, missing) variable is reported at once.

    One run that lists every problem beats one run per problem: the fields pydantic refused are
    set aside and the rest checked again, so a bad PORT does not hide a missing GITHUB_APP_ID.
    """
    errors: list[str] = []
    try:
        settings: Settings | None = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        refused: dict[str, object] = {}
        for error in exc.errors():
            field, line = _line(error)
            errors.append(line)
            if field is None:  # a check across fields names its variable first ("METRICS_PORT: …")
                named = line.split(":", 1)[0].lower()
                field = named if named in Settings.model_fields else "github_private_key_path"
            refused[field] = None
        for field in refused:
            refused[field] = Settings.model_fields[field].default
        try:
            settings = Settings(**{**overrides, **refused})  # type: ignore[arg-type]
        except ValidationError:
            settings = None
    if for_serve and settings is not None:
        errors.extend(settings.app_errors())
    if errors:
        raise SettingsError(errors)
    assert settings is not None
    return settings


def settings_help() -> str:
    """Every setting with its default and meaning, for `serve --help`."""
    lines = ["settings (environment variables, or a .env file in the working directory):"]
    for name, field in Settings.model_fields.items():
        default = "" if field.default is None else f" [default: {field.default}]"
        lines.append(f"  {name.upper():<26} {field.description}{default}")
    return "\n".join(lines)
