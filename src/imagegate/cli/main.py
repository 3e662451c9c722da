"""The ``imagegate`` command: ``serve`` and ``keys create``, thin layers over the library; the
client commands (``reframe``, ``edit``, ``generate``, ``task``, ``credits``) are in ``jobs/``."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from imagegate import __version__
from imagegate.cli import jobs
from imagegate.cli.admin import admin_app
from imagegate.cli.admin.accounts import echo_created
from imagegate.cli.admin.database import run
from imagegate.cli.failures import EXIT_CODES_HELP, EXIT_USAGE
from imagegate.errors import StartFailed, ValidationFailed
from imagegate.settings import Settings, load_settings

if TYPE_CHECKING:
    from imagegate.launch import AdminOperations
    from imagegate.runtime import Runtime

app = typer.Typer(
    help="imagegate: a self-hosted, Kie.ai-compatible server for AI image tasks.",
    no_args_is_help=True,
    add_completion=False,
    epilog=EXIT_CODES_HELP,
)
keys_app = typer.Typer(help="Manage account API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(admin_app, name="admin")  # the operator's controls: cli/admin/

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the database and files live [env IMAGEGATE_DATA_DIR]"),
]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind [default 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind [default 8000]")] = None,
    data_dir: DataDir = None,
    mock: Annotated[
        bool,
        typer.Option("--mock", help="Route every model to the mock engine, even reframe"),
    ] = False,
    no_worker: Annotated[
        bool,
        typer.Option("--no-worker", help="Serve the API only; `imagegate worker` runs tasks"),
    ] = False,
) -> None:
    """Run the API, the worker, the callback sender and the janitor in one process."""
    import uvicorn

    from imagegate.launch import first_start, server_app
    from imagegate.runtime import Runtime

    try:
        settings = load_settings(
            host=host, port=port, data_dir=data_dir, mock=mock or None,
            worker_concurrency=0 if no_worker else None,
        )
        _configure_logging(settings)
        runtime = Runtime(settings)
    except ValueError as exc:  # pydantic's ValidationError and build_router's errors too
        _config_error(exc)
    first = first_start(runtime)
    _announce(settings, runtime.router.describe(), first.default_key, first.admin_key)
    server = uvicorn.Server(
        uvicorn.Config(
            server_app(runtime),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=False,
            timeout_graceful_shutdown=10,
            # Our handler (logs/configure.py) formats and masks uvicorn's lines too.
            log_config=None,
        )
    )
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # Everything made so far (the imported stack, the app, the catalog) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it. Measured by
    # bench/events.py: with 1,000 open event streams createTask kept 0.88-0.90 of its rate
    # without, 0.985 with this (docs/performance.md).
    gc.collect()
    gc.freeze()
    server.run()


def _configure_logging(settings: Settings) -> None:
    from imagegate.logs.configure import configure_logging

    configure_logging(settings.log_level, settings.log_format)


def _exit_cleanly(_signum: int, _frame: object) -> None:
    """SIGTERM outside uvicorn's own handling: before it starts, and the SIGTERM uvicorn raises
    again once its graceful shutdown is done (which would end the process with -15): a stop
    that released every task is a clean exit."""
    raise SystemExit(0)


@app.command()
def worker(
    models: Annotated[
        str | None,
        typer.Option("--models", help="Comma-separated models to serve [default: every model]"),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Tasks run at once [default 4]")
    ] = None,
    data_dir: DataDir = None,
    mock: Annotated[
        bool, typer.Option("--mock", help="Route every model to the mock engine")
    ] = False,
) -> None:
    """Run tasks without serving the API: claim tasks of the named models from the database
    (IMAGEGATE_DATABASE_URL), run them, store the results (IMAGEGATE_BLOB_STORE_URL) and send
    their callbacks. Start as many as the machines allow; SIGTERM hands running tasks back."""
    from imagegate.runtime import Runtime

    try:
        settings = load_settings(
            data_dir=data_dir, mock=mock or None, worker_concurrency=concurrency,
            worker_models=[m.strip() for m in models.split(",") if m.strip()] if models else None,
        )
        _configure_logging(settings)
        if settings.worker_concurrency < 1:
            raise ValueError("a worker needs worker_concurrency of at least 1")
        runtime = Runtime(settings)
        unknown = [m for m in settings.worker_models if not runtime.router.can_serve(m)]
        if unknown:
            raise ValueError(f"--models: no engine serves {', '.join(unknown)}")
    except ValueError as exc:
        _config_error(exc)
    served = ", ".join(settings.worker_models) or "every model"
    typer.echo(f"imagegate worker {__version__}: {served}, {settings.worker_concurrency} at once")
    if not settings.blob_store_url:
        # Results on this machine's disk are served only by an API on the same disk.
        typer.echo(
            f"  note: results are stored under {settings.data_dir.resolve() / 'files'};"
            " API processes on other machines cannot serve them (set IMAGEGATE_BLOB_STORE_URL)"
        )
    try:
        asyncio.run(_run_until_signalled(runtime))
    except StartFailed as exc:
        _config_error(exc.error)


async def _run_until_signalled(runtime: Runtime) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await runtime.start()
    except ValueError as exc:
        await runtime.stop()
        raise StartFailed(exc) from exc
    try:
        await stop.wait()
    finally:
        await runtime.stop()


def _config_error(exc: Exception) -> NoReturn:
    cause = f" ({exc.__cause__})" if exc.__cause__ else ""  # e.g. the JSON error in an env var
    typer.echo(f"imagegate: configuration error: {exc}{cause}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def routes(
    data_dir: DataDir = None,
    mock: Annotated[
        bool, typer.Option("--mock", help="Show the routes of mock mode (every model on mock)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object")] = False,
) -> None:
    """Print each model's route (its engines in failover order) from the configuration:
    flags, IMAGEGATE_* environment (IMAGEGATE_ROUTES) and the TOML file; starts no server."""
    from imagegate.launch import describe_routes

    try:
        table = describe_routes(load_settings(data_dir=data_dir, mock=mock or None))
    except ValueError as exc:
        _config_error(exc)
    if as_json:
        typer.echo(json.dumps(table.routes, indent=2, sort_keys=True))
        return
    for model, names in sorted(table.routes.items()):
        typer.echo(f"{model} -> {', '.join(names)}")
    for name, provider in table.providers.items():
        typer.echo(f"provider {name}: {provider['type']} at {provider['baseUrl']}")


def _announce(
    settings: Settings,
    routes: dict[str, list[str]],
    default_key: str | None,
    admin_key: str | None,
) -> None:
    echo = typer.echo
    echo(f"imagegate {__version__}")
    echo(f"  data:     {settings.data_dir.resolve()}")
    echo(f"  database: {settings.resolved_database_url}")
    mocked = sorted(model for model, engines in routes.items() if engines == ["mock"])
    # The models on the mock engine alone are counted, not listed: the catalog has dozens,
    # and a wall of them would hide the routes the operator set (`imagegate routes` lists all).
    for model, engines in sorted(routes.items()):
        if settings.mock or model not in mocked:
            echo(f"  route:    {model} -> {', '.join(engines)}")
    if settings.mock:
        echo("  note:     mock mode (--mock, IMAGEGATE_MOCK): every model runs on the MOCK")
        echo("            engine (labelled test images), the classic reframe engine too")
    elif mocked:
        echo(f"  route:    {len(mocked)} other models -> mock (`imagegate routes` lists them)")
        echo(f"  note:     {len(mocked)} models run on the MOCK engine (labelled test images)")
        echo("            unless a route sends them to a provider (docs/providers.md)")
    if admin_key:
        echo(f"  admin key (shown once, only its hash is kept): {admin_key}")
    if default_key:
        echo(
            f"  API key of account 'default' ({settings.default_account_credits:g} credits,"
            " shown once):"
        )
        echo(f"  {default_key}")
    else:
        echo("  API keys: printed at first start; make another with `imagegate keys create`")
    url = settings.resolved_public_url
    echo(f"  listening on {url}  (docs: {url}/docs)")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Account name")],
    credits: Annotated[float, typer.Option("--credits", min=0, help="Starting balance")] = 0.0,
    webhook_secret: Annotated[
        str | None, typer.Option("--webhook-secret", help="Sign this account's callbacks")
    ] = None,
    create_rate: Annotated[
        str | None, typer.Option("--create-rate", help="createTask limit, e.g. 100/10s")
    ] = None,
    query_rate: Annotated[
        str | None, typer.Option("--query-rate", help="recordInfo limit, e.g. 20/1s")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account with a new API key; the key is printed alone on the last line."""

    async def create(ops: AdminOperations) -> dict[str, Any]:
        try:
            return await ops.create_account(name, credits, webhook_secret, create_rate,
                                            query_rate)
        except ValidationFailed as exc:  # a rate not of the form N/Ws: a usage error
            raise typer.BadParameter(exc.problem) from exc

    echo_created(run(data_dir, create), credits)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


jobs.register(app)  # reframe, edit, generate, task show|wait, credits: the API's client side

if __name__ == "__main__":
    app()
