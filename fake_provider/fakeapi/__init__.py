"""The fake provider's APIs as a package: the entry point is ../fake_provider.py (run as a script)."""
