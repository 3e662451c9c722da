"""One module per model, or per family of close variants sharing their fields (each module's
docstring names its source pages); each spec is listed in catalog/registry.py."""
