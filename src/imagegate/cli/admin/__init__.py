"""``imagegate admin ...``: the operator's controls on the database the settings name
(IMAGEGATE_DATABASE_URL, else the data directory's SQLite file), SQLite or PostgreSQL alike.

The admin API's own operations (api/admin_operations.py), which the runtime opens on that
database for one command (launch.py); a running server sees a change within its caches' TTL
(2 s). Keys are printed once, alone on the last line, when created or rotated; only their
hashes are stored.

``admin callbacks`` is the exception: it asks a running server over HTTP (--base-url, the
admin key), because a redelivery is sent by that server's callback sender, which the
endpoint wakes at once.
"""

from __future__ import annotations

import typer

from imagegate.cli.admin import accounts, callbacks, keys, switches

admin_app = typer.Typer(
    help="Operate the service: accounts, API keys, maintenance, models.", no_args_is_help=True
)
admin_app.add_typer(accounts.accounts_app, name="accounts")
admin_app.add_typer(keys.keys_app, name="keys")
admin_app.add_typer(switches.maintenance_app, name="maintenance")
admin_app.add_typer(switches.models_app, name="models")
admin_app.add_typer(callbacks.callbacks_app, name="callbacks")
