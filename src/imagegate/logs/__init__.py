"""Logging: the task context every line carries, JSON or text output, and the redaction that
keeps keys, secrets and signed URLs out of every line (``setup.configure_logging``)."""
