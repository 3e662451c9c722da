"""The client's pure core: requests built, answers parsed, errors mapped, waits decided.

Nothing here does I/O; ``Client`` and ``AsyncClient`` only send what this builds and sleep as
long as it says, so both behave the same by construction. One module per part: ``requests``
(each endpoint's request), ``answers`` (envelopes and each endpoint's data, errors mapped),
``waiting`` (the poll schedule and the retry decisions), ``events`` (a task's live events),
``inputs`` (models' inputs from the convenience calls' arguments), ``downloads`` (result
files). The shells and the upstream engines
use them through this one namespace, ``core.<name>``.
"""

from imagegate.client.core.answers import (
    UploadedFile,
    created_task,
    credits_of,
    error_for,
    parse_response,
    parse_retry_after,
    task_id_of,
    uploaded_of,
)
from imagegate.client.core.downloads import (
    check_download,
    check_downloadable,
    file_name_for,
    parse_download,
)
from imagegate.client.core.events import (
    EVENTS_PATH,
    READ_TIMEOUT,
    EventParser,
    TaskEvent,
    check_stream,
    events_request,
    task_after,
)
from imagegate.client.core.inputs import (
    EDIT_MODEL,
    REFRAME_MODEL,
    edit_input,
    generate_input,
    given,
    image_field,
    prompt_field,
    reframe_input,
)
from imagegate.client.core.requests import (
    IDEMPOTENCY_HEADER,
    USER_AGENT,
    V2_MODELS,
    ApiRequest,
    auth_headers,
    create_task_request,
    credits_request,
    download_request,
    get_task_request,
    new_idempotency_key,
    upload_request,
)
from imagegate.client.core.waiting import (
    RETRYABLE_CODES,
    RetryPolicy,
    backoff_delay,
    delay_after_error,
    delay_after_transport_error,
    maybe_sent,
    poll_delay,
)

__all__ = [
    "EDIT_MODEL",
    "EVENTS_PATH",
    "IDEMPOTENCY_HEADER",
    "READ_TIMEOUT",
    "REFRAME_MODEL",
    "RETRYABLE_CODES",
    "USER_AGENT",
    "V2_MODELS",
    "ApiRequest",
    "EventParser",
    "RetryPolicy",
    "TaskEvent",
    "UploadedFile",
    "auth_headers",
    "backoff_delay",
    "check_download",
    "check_downloadable",
    "check_stream",
    "create_task_request",
    "created_task",
    "credits_of",
    "credits_request",
    "delay_after_error",
    "delay_after_transport_error",
    "download_request",
    "edit_input",
    "error_for",
    "events_request",
    "file_name_for",
    "generate_input",
    "get_task_request",
    "given",
    "image_field",
    "maybe_sent",
    "new_idempotency_key",
    "parse_download",
    "parse_response",
    "parse_retry_after",
    "poll_delay",
    "prompt_field",
    "reframe_input",
    "task_after",
    "task_id_of",
    "upload_request",
    "uploaded_of",
]
