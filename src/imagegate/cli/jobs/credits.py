"""``imagegate credits``: the account's credit balance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagegate.cli import display
from imagegate.cli.jobs.options import ApiKey, AsJson, BaseUrl
from imagegate.cli.jobs.running import Connection, run

if TYPE_CHECKING:
    from imagegate.client import Client


def credits(
    as_json: AsJson = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Print the account's credit balance."""
    conn = Connection(base_url, api_key, as_json)

    def body(client: Client) -> None:
        balance = client.credits()
        if as_json:
            display.print_json({"credits": balance})
        else:
            print(f"{balance:g}", flush=True)

    run(conn, "credits", body)
