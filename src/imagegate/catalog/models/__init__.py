"""One module per model, each defining exactly one ModelSpec."""
