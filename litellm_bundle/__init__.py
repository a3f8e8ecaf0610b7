"""Tooling of the LiteLLM gateway bundle: load, validate and render config/ per environment."""
