"""The file endpoints: signed file URLs served (``serving``), Kie's three uploads (``uploads``,
answered by ``upload_answer``) and ``common/download-url`` (``download_url``)."""
