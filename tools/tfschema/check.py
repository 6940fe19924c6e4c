"""Hold every block and argument of a Terraform directory against the providers' real schema.

Reads the `.tf` files with python-hcl2 and the `terraform providers schema -json` document that
tools.tfschema.mirror rebuilds from the cdktn packages. Reported, each naming file, resource and
path: an unknown resource or data source type; an unknown or misspelt argument or block; a block
written as an argument or the other way round; an argument the provider computes (read-only); a
missing required argument or block; a second block where the schema allows one; and a reference
(`google_x.name.attr[0].sub`) to an attribute the schema does not have. `terraform validate`
finds most of these too, one at a time; this check lists them all and names the schema version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
PROVIDER_META_ARGUMENTS = {"alias"}
# `[data.]<type>.<name>` and the path after it (`.attr[0].sub`, `[*].attr`).
MANAGED_TYPE = re.compile(
    r"(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([a-z_][\w-]*)((?:\[[^\]]*\]|\.[a-z_]\w*)*)"
)
STEP = re.compile(r"\[[^\]]*\]|\.([a-z_]\w*)")


@dataclass(frozen=True)
class Problem:
    where: str  # file: resource path
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class Schemas:
    """Lookup over a `providers schema -json` document, by resource type prefix."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.providers = document["provider_schemas"]
        self.versions: dict[str, str] = document.get("provider_versions", {})

    def provider(self, local_name: str) -> dict[str, Any] | None:
        for address, schema in self.providers.items():
            if address.rsplit("/", 1)[1] == local_name:
                return dict(schema)
        return None

    def of(self, section: str, type_name: str) -> dict[str, Any] | None:
        provider = self.provider(type_name.split("_", 1)[0])
        if provider is None:
            return None
        found = provider.get(section, {}).get(type_name)
        return found["block"] if found else None

    def label(self, type_name: str) -> str:
        prefix = type_name.split("_", 1)[0]
        return ", ".join(f"{a} {v}" for a, v in self.versions.items() if a.endswith(f"/{prefix}"))


def parse(path: Path) -> dict[str, Any]:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=True)
    result: dict[str, Any] = hcl2.loads(path.read_text(), serialization_options=options)
    return result


def is_block(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


def fields(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in body.items():
        if not key.startswith("__"):
            yield key, value


def check_body(body: dict[str, Any], schema: dict[str, Any], where: str, top: bool) -> list[Problem]:
    """One block's arguments and nested blocks against its schema."""
    problems: list[Problem] = []
    attributes = schema.get("attributes", {})
    blocks = schema.get("block_types", {})
    literal: dict[str, int] = {}  # block name -> how many are written out
    dynamic_blocks: set[str] = set()
    for key, value in fields(body):
        if top and key in META_ARGUMENTS | PROVIDER_META_ARGUMENTS:
            continue
        if key == "dynamic" and isinstance(value, list):
            for entry in value:
                for name, dynamic in fields(entry):
                    if name not in blocks:
                        problems.append(Problem(where, f"dynamic block {name!r} is not a block of this type"))
                        continue
                    dynamic_blocks.add(name)
                    for content in dynamic.get("content", []):
                        problems += check_body(content, blocks[name]["block"], f"{where}.{name}", False)
            continue
        if is_block(value):
            if key not in blocks:
                kind = "an argument (write `name = ...`)" if key in attributes else "not a block of this type"
                problems.append(Problem(where, f"block {key!r} is {kind}"))
                continue
            literal[key] = literal.get(key, 0) + len(value)
            for entry in value:
                problems += check_body(entry, blocks[key]["block"], f"{where}.{key}", False)
            continue
        if key in blocks:
            problems.append(Problem(where, f"{key!r} is a block: write `{key} {{ ... }}`"))
        elif key not in attributes:
            problems.append(Problem(where, f"unknown argument {key!r}"))
        elif attributes[key].get("computed") and not (
            attributes[key].get("optional") or attributes[key].get("required")
        ):
            problems.append(Problem(where, f"argument {key!r} is read-only (set by the provider)"))
    for name, spec in attributes.items():
        if spec.get("required") and name not in body:
            problems.append(Problem(where, f"required argument {name!r} is missing"))
    for name, spec in blocks.items():
        count = literal.get(name, 0)
        if spec.get("min_items", 0) > 0 and count == 0 and name not in dynamic_blocks:
            problems.append(Problem(where, f"required block {name!r} is missing"))
        if spec.get("max_items") == 1 and count > 1:
            problems.append(Problem(where, f"block {name!r} may appear only once, found {count}"))
    return problems


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for _, value in fields(node):
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def check_path(schema: dict[str, Any], path: str) -> str | None:
    """The first step of `path` (e.g. `.service_config[0].uri`) the schema does not have."""
    node: Any = {"block": schema}
    for step in STEP.finditer(path):
        name = step[1]
        if name is None:  # an index: [0], [*], ["key"]
            if isinstance(node, list) and node[0] in ("list", "set", "map"):
                node = node[1]
            continue
        if isinstance(node, dict) and "block" in node:
            block = node["block"]
            if name in block.get("attributes", {}):
                node = block["attributes"][name]["type"]
            elif name in block.get("block_types", {}):
                node = block["block_types"][name]
            else:
                return name
        elif isinstance(node, list) and node[0] == "object":
            if name not in node[1]:
                return name
            node = node[1][name]
        elif isinstance(node, list) and node[0] in ("list", "set") and isinstance(node[1], list):
            node = node[1]
            if node[0] == "object" and name not in node[1]:
                return name
            node = node[1].get(name) if node[0] == "object" else node
        else:
            return None  # a map key, or a dynamic value: nothing more to check
    return None


def check_references(
    parsed: dict[str, Any], schemas: Schemas, declared: set[str], where: str
) -> list[Problem]:
    problems = []
    for text in strings(parsed):
        for expression in re.findall(r"\$\{(.*?)\}", text, re.S) or []:
            for match in MANAGED_TYPE.finditer(expression):
                data, type_name, name, path = match[1], match[2], match[3], match[4]
                section = "data_source_schemas" if data else "resource_schemas"
                if schemas.provider(type_name.split("_", 1)[0]) is None:
                    continue  # not a managed resource (e.g. a function name or a local's key)
                schema = schemas.of(section, type_name)
                address = f"{data or ''}{type_name}.{name}"
                if schema is None:
                    continue  # reported where the block is declared (or by terraform validate)
                if address not in declared:
                    problems.append(Problem(where, f"reference to undeclared {address}"))
                    continue
                missing = check_path(schema, path)
                if missing is not None:
                    problems.append(
                        Problem(where, f"{address}{path}: {type_name} has no attribute {missing!r}")
                    )
    return sorted(set(problems), key=str)


def check_directory(tf_dir: Path, document: dict[str, Any]) -> list[Problem]:
    """Every problem of every `.tf` file of `tf_dir` (not recursive)."""
    schemas = Schemas(document)
    files = {path: parse(path) for path in sorted(tf_dir.glob("*.tf"))}
    declared = set()
    for parsed in files.values():
        for section, prefix in (("resource", ""), ("data", "data.")):
            for entry in parsed.get(section, []):
                for type_name, instances in fields(entry):
                    declared |= {f"{prefix}{type_name}.{name}" for name, _ in fields(instances)}
    problems: list[Problem] = []
    for path, parsed in files.items():
        for section, schema_section in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
            for entry in parsed.get(section, []):
                for type_name, instances in fields(entry):
                    for name, body in fields(instances):
                        where = f"{path.name}: {'data.' if section == 'data' else ''}{type_name}.{name}"
                        schema = schemas.of(schema_section, type_name)
                        if schema is None:
                            kind = "data source" if section == "data" else "resource type"
                            problems.append(Problem(where, f"unknown {kind} {type_name!r}"))
                            continue
                        label = schemas.label(type_name)
                        found = check_body(body, schema, where, True)
                        problems += [Problem(p.where, f"{p.message} ({label})") for p in found]
        for entry in parsed.get("provider", []):
            for local_name, body in fields(entry):
                provider = schemas.provider(local_name)
                if provider is not None:
                    where = f"{path.name}: provider.{local_name}"
                    problems += check_body(body, provider["provider"]["block"], where, True)
        problems += check_references(parsed, schemas, declared, path.name)
    return problems
