"""Command line: the top layer; the only place that prints and sets exit codes.

`python -m litellm_bundle COMMAND` (`--help` lists them: validate, render, diff, lint-k8s, scan,
import, access, checks, the local stack's up, down and logs, check-config, litellm-schema and cluster
build|up|down); the only command line of the package. Public interface:

- `main`: `main(argv)` -> exit code, parsing the arguments and calling the layers below.
- `report`: how every command's problems are printed: text, JSON, GitHub annotations, SARIF (`Outcome`,
  `render`, `FORMATS`).
"""
