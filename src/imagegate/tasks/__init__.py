"""Tasks: their states, the store that keeps them (with accounts and credits), their records."""
