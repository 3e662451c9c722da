"""The client commands: ``reframe``, ``edit``, ``generate``, ``task show|wait``, ``credits``.

Thin layers over ``imagegate.client.Client``: they create a task (uploading a local IMAGE
first), wait for it while showing its progress on stderr (from the task's live events),
download the results into the output directory as ``{taskId}-{n}.{ext}`` and print the paths
(or, with ``--json``, one JSON document) on stdout. The client is imported when a command
runs, so the server's commands never load it.
"""

from __future__ import annotations

import typer

from imagegate.cli.failures import EXIT_CODES_HELP
from imagegate.cli.jobs.create import edit, generate, reframe
from imagegate.cli.jobs.credits import credits
from imagegate.cli.jobs.task import task_show, task_wait


def register(app: typer.Typer) -> None:
    """Add the client commands to the ``imagegate`` app."""
    for command in (reframe, edit, generate, credits):
        app.command(epilog=EXIT_CODES_HELP)(command)
    task_app = typer.Typer(
        help="Look at or wait for a task by its id.", no_args_is_help=True, epilog=EXIT_CODES_HELP
    )
    task_app.command("show", epilog=EXIT_CODES_HELP)(task_show)
    task_app.command("wait", epilog=EXIT_CODES_HELP)(task_wait)
    app.add_typer(task_app, name="task")
