"""imagegate: a self-hosted, Kie.ai-compatible server for AI image tasks."""

__version__ = "0.1.0"
