"""Configuration: command-line flags, then ``IMAGEGATE_*`` environment variables, then a TOML file.

Every setting has an embedded default, so ``imagegate serve`` needs nothing but a writable
working directory: SQLite and files live under ``./imagegate-data/``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_CONFIG_FILE = "imagegate.toml"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the optional TOML file named by ``IMAGEGATE_CONFIG`` (or ``./imagegate.toml``).

    Keys are the settings' names without the prefix, e.g. ``data_dir = "/srv/imagegate"``.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get("IMAGEGATE_CONFIG", DEFAULT_CONFIG_FILE)
        self._data: dict[str, Any] = {}
        if Path(path).is_file():
            with open(path, "rb") as fh:
                self._data = tomllib.load(fh)
        elif "IMAGEGATE_CONFIG" in os.environ:
            raise FileNotFoundError(f"IMAGEGATE_CONFIG names {path!r}, which is not a file")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Everything an operator can set. Field ``foo`` is ``IMAGEGATE_FOO`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="IMAGEGATE_", extra="ignore")

    # Where the embedded topology keeps its SQLite file, its files and its generated secrets.
    data_dir: Path = Path("imagegate-data")
    # Where file bytes (uploads, results) live: empty means a directory under data_dir;
    # ``s3://bucket/optional/prefix`` means an S3 bucket that every API process and worker
    # shares (storage/s3.py). imagegate's /files/ URLs stay the same either way.
    blob_store_url: str = ""
    # The S3 endpoint of an S3-compatible store (MinIO, Ceph...); empty means AWS itself.
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    # The bucket's credentials; empty means boto3's own chain (AWS_* variables, profiles, roles).
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # SQLAlchemy URL; empty means a SQLite file under data_dir.
    database_url: str = ""
    # Bearer token of the admin API; empty means one is generated and printed on first start.
    admin_key: str = ""
    # Bearer token /metrics asks for (Prometheus: ``authorization: {credentials: ...}``);
    # empty means /metrics is open, as Prometheus endpoints usually are on an internal network.
    metrics_token: str = ""
    # Base of the file URLs handed out (results, uploads); empty means http://HOST:PORT.
    public_url: str = ""
    # Hosts or CIDRs that may be fetched or called back although private or loopback.
    url_allowlist: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Secret that signs file URLs; empty means one is generated under data_dir.
    secret_key: str = ""

    host: str = "127.0.0.1"
    port: int = 8000

    # Route every model to the mock engine (models without a real engine yet use it anyway).
    mock: bool = False
    mock_latency: float = Field(default=0.0, ge=0)
    mock_fail_rate: float = Field(default=0.0, ge=0, le=1)

    # Kie's documented limits are the defaults: 20 createTask per 10 s, 10 recordInfo per second.
    create_rate: str = "20/10s"
    query_rate: str = "10/1s"
    # Where API processes share the rate limits' counters (redis://host:6379/0); empty: each
    # process counts its own (a fleet of N then allows N times the rate).
    rate_limit_storage_url: str = ""

    # Credits granted to the default account created on first start.
    default_account_credits: float = 1000.0

    # Kie keeps uploads 3 days and results 14 days; download-url links live 20 minutes.
    upload_retention_hours: float = 72.0
    result_retention_hours: float = 336.0
    download_url_minutes: float = 20.0
    # Finished tasks' records (recordInfo, the task list, callback deliveries) are deleted this
    # many days after their creation (at least 1); 0 keeps them forever. The credit ledger is
    # never deleted.
    task_retention_days: float = Field(default=30.0, ge=0)
    janitor_interval_seconds: float = 60.0
    # How often the tasks past their Cancel-After deadline are looked for (tasks/deadlines.py):
    # a deadline is honoured within about this long.
    deadline_interval_seconds: float = Field(default=1.0, gt=0, le=60)

    # Processes that run engines' CPU-heavy work off the API's event loop; 0 runs it in threads.
    engine_processes: int = Field(default=1, ge=0)
    # Seconds of CPU work the classic reframe engine may spend on one task (all its images
    # together); past it the synthesis stops refining and finishes with what it has, so a slow
    # machine gives a rougher fill instead of a task that never ends.
    classic_time_budget_seconds: float = Field(default=120.0, ge=1)

    # Worker: concurrent tasks in this process, and how long a claim lasts without a heartbeat.
    worker_concurrency: int = Field(default=4, ge=0)
    lease_seconds: float = Field(default=30.0, gt=0)
    # The models this process's worker claims (empty: every model), e.g. a GPU machine's
    # ``imagegate worker --models qwen/image-edit``; comma-separated in the environment.
    worker_models: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # This process's worker id, stable across its restarts, so that a restart after a crash
    # takes back at once the tasks it was running (worker/identity.py). Empty: derived from the
    # host name and the data directory. In a fleet whose machines change names (containers),
    # name each process: a restart under the same name then finds its tasks. Each process
    # that runs at once needs its own.
    worker_id: str = Field(default="", pattern=r"^([A-Za-z0-9._:-]{1,32})?$")
    # How long the worker sleeps when the queue looks empty and nothing woke it.
    poll_interval_seconds: float = Field(default=1.0, gt=0)

    # Callbacks: Kie's 15 s timeout; retries with exponential backoff from the base, capped.
    callback_timeout_seconds: float = 15.0
    callback_max_attempts: int = Field(default=12, ge=1)
    callback_backoff_base_seconds: float = 5.0
    callback_backoff_max_seconds: float = 3600.0
    # A sender claims a callback for its timeout plus this margin (a slow database's write of
    # the outcome must not let another sender send it again meanwhile). A sender killed
    # mid-send (SIGKILL, a lost machine) leaves its claimed callbacks to the rest of the fleet
    # once the claim runs out: timeout + margin, 45 s by default.
    callback_lease_margin_seconds: float = Field(default=30.0, gt=0)

    # Input images: size cap while streaming, pixel cap against decompression bombs.
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    fetch_timeout_seconds: float = 30.0

    # Request bodies: JSON endpoints and uploads.
    max_json_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024

    # How long an Idempotency-Key of a create request names its task: a repeat within this
    # window answers with the same task (no new task, no new debit); after it, the key is new.
    idempotency_hours: float = Field(default=24.0, gt=0)

    # Ideogram's own reframe endpoints answer synchronously: how long a request waits for its
    # task to end before answering that it is still running (the task is kept and finishes).
    ideogram_sync_timeout_seconds: float = Field(default=120.0, gt=0)
    # A createTask whose input has ``sync_mode`` true (spec 004) waits for its task's end this
    # long before answering with the state reached (api/sync_mode.py).
    sync_mode_wait_seconds: float = Field(default=120.0, gt=0)

    # Live task events (GET /api/v1/jobs/events): a comment line this often keeps proxies from
    # closing an idle stream; and each stream re-reads its task about this often (jittered
    # ±25 %, so that a thousand streams do not read at one instant) even when nothing woke it:
    # a NOTIFY lost in a fleet costs at most that long. Equal by default, so an idle stream
    # wakes once a period for both (an idle stream's whole cost: docs/performance.md).
    events_heartbeat_seconds: float = Field(default=15.0, gt=0)
    events_recheck_seconds: float = Field(default=15.0, gt=0)

    # Kie has been seen answering business errors with HTTP 200; this mirrors that.
    business_errors_http_200: bool = False

    # Routes: model → the engines that serve it, in failover order, e.g. in the TOML file
    # ``[routes]`` / ``"ideogram/v3-reframe" = ["classic", "mock"]``, in the environment
    # ``IMAGEGATE_ROUTES='{"ideogram/v3-reframe": ["classic"]}'``. Models left out keep their
    # default route; ``mock`` puts every model on the mock engine whatever this says.
    routes: dict[str, list[str]] = Field(default_factory=dict)
    # Upstream providers, each an engine routes may name: ``[providers.NAME]`` tables in the
    # TOML file (``type = "upstream_kie"`` or ``"upstream_ideogram"``, ``base_url``,
    # ``api_key_env``...), ``IMAGEGATE_PROVIDERS`` as JSON. Checked when the routes are built
    # (engines/upstream/config.py); docs/providers.md shows each kind.
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Built-in engines' own tables, by engine name: ``[engines.diffusers]`` in the TOML file
    # (pipelines, weights, device, batching; engines/diffusers/config.py, docs/gpu.md),
    # ``IMAGEGATE_ENGINES`` as JSON. Checked when a route names the engine.
    engines: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Circuit breaker, per engine: after this many consecutive retryable failures the engine
    # is out of rotation for the cooldown, then one task probes it back.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)

    log_level: str = "info"
    # "text" for a person at a terminal (the embedded default is one machine and its owner);
    # "json" for a fleet's log pipeline: one object per line with taskId, account, model and
    # engine on every line about a task. Secrets are masked in both (logs/redact.py).
    log_format: str = Field(default="text", pattern="^(text|json)$")

    # Operations (docs/operations.md). Each worker process writes its row in the workers
    # table this often; /readyz counts a worker alive if seen within three of these.
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    # /readyz answers 503 once this many tasks wait (every model together): a queue this deep
    # means the workers are not keeping up, and the load balancer should send new work elsewhere.
    ready_max_queue: int = Field(default=10_000, ge=1)
    # On SIGTERM the worker stops claiming and gives its running tasks this long to finish;
    # the rest go back to waiting for another worker. 20 s: with uvicorn's 10 s HTTP drain
    # first, a stop fits in Kubernetes' default 30 s before the SIGKILL.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)

    @field_validator("url_allowlist", "worker_models", mode="before")
    @classmethod
    def _split_allowlist(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("routes")
    @classmethod
    def _check_routes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for model, engines in value.items():
            if not engines:
                raise ValueError(f"route of {model!r} names no engine")
            if len(set(engines)) != len(engines):
                raise ValueError(f"route of {model!r} names an engine twice: {engines}")
        return value

    @field_validator("task_retention_days")
    @classmethod
    def _check_task_retention(cls, value: float) -> float:
        # A key's daily spending cap sums its tasks of the last day (accounts/caps.py): records
        # kept less than a day would hand a capped key its budget back.
        if 0 < value < 1:
            raise ValueError("must be 0 (keep forever) or at least 1 day: a key's daily cap"
                             " counts its tasks of the last day")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags arrive as init kwargs, so they beat the environment, which beats the file.
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'imagegate.db').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from flags (``overrides``, ``None`` meaning "not given"), env and TOML."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
