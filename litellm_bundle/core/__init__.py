"""Core: the facts, paths, problems, YAML I/O and waiting every other layer stands on (the bottom layer).

Imports nothing from the rest of the tooling. Public interface:

- `facts`: each fact of the bundle written once (chart, release and namespace names, the hooks package
  and its callback, ports, health and metrics endpoints, the image, LiteLLM's callback keys, the fallback
  kinds, the Kubernetes versions, the generated areas, the exit codes).
- `tree`: `BundleTree` (where one bundle's sources, policies, chart, hooks and outputs live),
  `find_root`, `TreeError`.
- `problems`: `Problem` and `Location` (file:line:col, severity, stage), `Where`/`Found` (collecting
  located problems), `settle` (each problem once, causes first), `ValidationFailed`.
- `yamlio`: YAML in with a position for every key and value (`read_source`, `load_yaml`, `parse_yaml`,
  `YamlDocument`; never raises on bad input) and out, deterministic (`dump_yaml`).
- `yamlemit`: block YAML that keeps a source's comments next to their keys (`comments_of`, `emit`).
- `wait`: `wait_until`, the one poll loop (a port, a health URL, a database, an API server, a scrape);
  `WaitTimeout`.
"""
