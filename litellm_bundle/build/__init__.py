"""Build: every generated file produced in memory, then written, checked or diffed (generate -> write / check / diff).

Above render and external: validates, renders every environment, runs `helm template` for k8s/ and
collects the shared outputs. Public interface:

- `generate`: `generate(tree)` -> `Generated` (files: {relative path: bytes}, by area),
  `rendered_values`, `render_one`.
- `output`: the generated tree on disk: `write_areas` (all or nothing, by area), `stale` (what
  `render --check` reports), `read_area`.
- `diff`: `diff_generated` (a unified diff of every generated file), `generate_at_ref` (the same
  generation at a git ref), `default_ref`, `DiffError`.
"""
