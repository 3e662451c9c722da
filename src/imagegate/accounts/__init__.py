"""Accounts, API keys, the credit ledger, spending caps, IP allow-lists and usage: the values,
the store protocols (accounts/store.py) and the rules, written against those protocols."""
