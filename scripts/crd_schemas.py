#!/usr/bin/env python3
"""Generate kubeconform JSON schemas from CustomResourceDefinitions (openAPIV3Schema of each served version).

Usage: crd_schemas.py OUT_DIR [CRD.yaml ...]   (default: the pinned CRDs of litellm_bundle/cluster/crds.py)
Writes OUT_DIR/<group>/<kind>_<version>.json (kubeconform's `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}`),
strict: objects with declared properties reject unknown keys unless the CRD preserves unknown fields.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle.cluster.crds import crd_files


def strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1])
    yaml = YAML(typ="safe")
    written = 0
    for file in argv[2:] or crd_files():
        for doc in yaml.load_all(Path(file).read_text(encoding="utf-8")):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group = doc["spec"]["group"]
            kind = doc["spec"]["names"]["kind"].lower()
            for version in doc["spec"]["versions"]:
                if not version.get("served"):
                    continue
                schema = strict(version["schema"]["openAPIV3Schema"])
                props = schema.setdefault("properties", {})
                props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
                props["kind"] = {"type": "string", "enum": [doc["spec"]["names"]["kind"]]}
                props.setdefault("metadata", {"type": "object"})
                target = out_dir / group / f"{kind}_{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
                written += 1
    print(f"wrote {written} schema(s) into {out_dir}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
