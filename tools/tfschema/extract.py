"""Rebuild `terraform providers schema -json` from a cdktn provider wheel (PyPI), offline.

A `cdktn-provider-<name>` wheel carries the provider's schema as generated JavaScript inside its
jsii tarball: one `lib/<resource>/index.js` per resource and data source. For each block the
generator writes a class whose attribute getters are preceded by a comment
`// <name> - computed: X, optional: Y, required: Z`, and a `*ToHclTerraform` function (the main
class: `synthesizeHclAttributes`) that lists every settable argument as
`{isBlock, type: simple|list|set|map|struct, storageClassType}`. Together they give the names,
types, flags, nesting modes and max_items=1 of every argument and block. Enum values and
conflicting options live in the provider's Go code and are not in the package.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLASS = re.compile(r"^class (\w+) extends cdktn\.(\w+) \{\n(.*?)^\}\n", re.S | re.M)
HCL_FUNCTION = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{\n(.*?)^\}\n", re.S | re.M)
HCL_ENTRY = re.compile(
    r"(\w+): \{\s+value: (?:(?!isBlock:).)*?isBlock: (true|false),\s+"
    r'type: "(\w+)",\s+storageClassType: "(\w+)",',
    re.S,
)
FLAGS = re.compile(r"// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n")
RESOURCE_TYPE = re.compile(r'static tfResourceType = "(\w+)";')
# Classes of big resources live in sibling modules (`new index_1.XList(...)`).
NEW_COMPLEX = re.compile(
    r"= new (?:\w+_\d+\.)?(\w+?)(List|OutputReference)\(this, \"(\w+)\"(?:, (true|false))?\)"
)
GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
}
SIMPLE_TYPES = {"string": "string", "number": "number", "boolean": "bool"}
COLLECTION_TYPES = {"stringList": "string", "numberList": "number", "stringMap": "string"}


class SchemaSourceError(Exception):
    """The wheel does not hold a schema this extractor can read."""


@dataclass(frozen=True)
class Settable:
    is_block: bool
    kind: str  # simple, list, set, map, struct
    storage: str  # string, number, boolean, stringList, ..., or the block's class name


@dataclass
class Module:
    """One generated index.js: its classes (name -> body) and settable-argument tables."""

    classes: dict[str, str] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)  # class name -> the cdktn class it extends
    hcl: dict[str, dict[str, Settable]] = field(default_factory=dict)  # class base name -> table


def settable_table(body: str) -> dict[str, Settable]:
    start = body.find("const attrs = {")
    if start < 0:
        return {}
    return {m[1]: Settable(m[2] == "true", m[3], m[4]) for m in HCL_ENTRY.finditer(body, start)}


def parse_module(text: str) -> Module:
    """The classes and tables of a resource's JavaScript (its files concatenated)."""
    module = Module()
    for match in CLASS.finditer(text):
        module.classes[match[1]] = match[3]
        module.bases[match[1]] = match[2]
    for match in HCL_FUNCTION.finditer(text):
        base = match[1][0].upper() + match[1][1:]
        module.hcl[base] = settable_table(match[2])
    return module


def getters(body: str) -> list[tuple[str, dict[str, bool], str]]:
    """(name, flags, getter text) for every attribute comment of a class body, in order."""
    found = list(FLAGS.finditer(body))
    result = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(body)
        flags = {key: match[i] == "true" for i, key in ((2, "computed"), (3, "optional"), (4, "required"))}
        result.append((match[1], flags, body[match.end() : end]))
    return result


def settable_type(entry: Settable) -> Any:
    if entry.kind == "simple":
        return SIMPLE_TYPES[entry.storage]
    if entry.kind in ("list", "set", "map") and entry.storage in COLLECTION_TYPES:
        return [entry.kind, COLLECTION_TYPES[entry.storage]]
    raise SchemaSourceError(f"unknown argument type {entry.kind}/{entry.storage}")


def computed_type(module: Module, text: str, ancestors: frozenset[str] = frozenset()) -> Any:
    """The type of a read-only attribute, from its getter."""
    if complex_ := NEW_COMPLEX.search(text):
        base, how, wraps_set = complex_[1], complex_[2], complex_[4]
        element = ["object", object_attributes(module, base, ancestors)]
        return ["set" if wraps_set == "true" else "list", element] if how == "List" else ["list", element]
    if "new cdktn.StringMapList(" in text:
        return ["list", ["map", "string"]]
    if "new cdktn.StringMap(" in text:
        return ["map", "string"]
    for getter, tf_type in GETTER_TYPES.items():
        if f"this.{getter}(" in text:
            if "cdktn.Fn.tolist(" in text and isinstance(tf_type, list):
                return ["set", tf_type[1]]
            return tf_type
    raise SchemaSourceError(f"cannot tell the type of a read-only attribute from: {text[:120]!r}")


def object_attributes(module: Module, base: str, ancestors: frozenset[str]) -> dict[str, Any]:
    if base in ancestors:  # the generator reuses a class for a recursive structure: stop there
        return {}
    body = module.classes.get(f"{base}OutputReference")
    if body is None:
        raise SchemaSourceError(f"no class {base}OutputReference")
    return {name: computed_type(module, text, ancestors | {base}) for name, _, text in getters(body)}


def block_schema(
    module: Module, body: str, table: dict[str, Settable], ancestors: frozenset[str] = frozenset()
) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    blocks: dict[str, Any] = {}
    described = getters(body)
    seen = {name for name, _, _ in described}
    # Settable arguments without a comment (the provider block's nested blocks) are optional.
    described += [
        (name, {"computed": False, "optional": True, "required": False}, "")
        for name in table
        if name not in seen
    ]
    for name, flags, text in described:
        entry = table.get(name)
        if entry is not None and entry.is_block:
            blocks[name] = nested_block(module, name, entry, flags, text, ancestors)
            continue
        tf_type = settable_type(entry) if entry is not None else computed_type(module, text, ancestors)
        attributes[name] = {"type": tf_type, **{k: True for k, v in flags.items() if v}}
    block: dict[str, Any] = {}
    if attributes:
        block["attributes"] = attributes
    if blocks:
        block["block_types"] = blocks
    return block


def nested_block(
    module: Module, name: str, entry: Settable, flags: dict[str, bool], text: str, ancestors: frozenset[str]
) -> Any:
    base = entry.storage.removesuffix("List") if entry.kind in ("list", "set") else entry.storage
    body = module.classes.get(f"{base}OutputReference", "")
    inner = {}
    if base not in ancestors:  # a recursive structure (see object_attributes) ends here
        inner = block_schema(module, body, module.hcl.get(base, {}), ancestors | {base})
    nesting = "single" if entry.kind == "struct" else entry.kind
    schema: dict[str, Any] = {"nesting_mode": nesting, "block": inner}
    if entry.kind != "struct":
        single = NEW_COMPLEX.search(text)
        if single and (single[1], single[2], single[3]) == (base, "OutputReference", name):
            schema["max_items"] = 1
        if flags["required"]:
            schema["min_items"] = 1
    return schema


KINDS = {"TerraformResource": "resource_schemas", "TerraformDataSource": "data_source_schemas"}


def module_schema(module: Module) -> tuple[str, str, dict[str, Any]] | None:
    """(section, type name, schema) of the module's resource, data source or provider class."""
    for name, body in module.classes.items():
        kind = module.bases[name]
        if kind == "TerraformProvider":
            section, type_name = "provider", ""
        elif kind in KINDS and (found := RESOURCE_TYPE.search(body)):
            section, type_name = KINDS[kind], found[1]
        else:
            continue
        table = settable_table(body[body.find("synthesizeHclAttributes()") :])
        return section, type_name, {"version": 0, "block": block_schema(module, body, table)}
    return None


def jsii_tarball(wheel: Path) -> tarfile.TarFile:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        if len(names) != 1:
            raise SchemaSourceError(f"{wheel.name}: expected one .jsii.tgz, found {len(names)}")
        data = archive.read(names[0])
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def provider_schema(wheel: Path) -> tuple[str, str, dict[str, Any]]:
    """(provider source address, provider version, schema) from one cdktn provider wheel."""
    source = version = ""
    schema: dict[str, Any] = {"resource_schemas": {}, "data_source_schemas": {}}
    sources: dict[str, list[str]] = {}  # lib/<directory> -> its JavaScript files
    with jsii_tarball(wheel) as tarball:
        for member in tarball:
            if member.name == "package/package.json":
                meta = json.load(tarball.extractfile(member))  # type: ignore[arg-type]
                provider = (meta.get("cdktn") or meta.get("cdktf") or {}).get("provider", {})
                source, version = provider.get("name", ""), provider.get("version", "")
            elif found := re.fullmatch(r"package/lib/([\w-]+)/(?:index-structs/)?\w+\.js", member.name):
                text = tarball.extractfile(member).read().decode()  # type: ignore[union-attr]
                sources.setdefault(found[1], []).append(text.split("\n//# sourceMappingURL=", 1)[0])
    for texts in sources.values():
        found_schema = module_schema(parse_module("\n".join(texts)))
        if found_schema is None:
            continue
        section, type_name, body = found_schema
        if section == "provider":
            # cdktn adds the meta-argument `alias`; Terraform's provider schema has no such argument.
            body["block"].get("attributes", {}).pop("alias", None)
            schema["provider"] = body
        else:
            schema[section][type_name] = body
    if not source or not version or "provider" not in schema:
        raise SchemaSourceError(f"{wheel.name}: no provider name, version or provider block found")
    return source, version, schema


def schema_document(wheels: list[Path]) -> dict[str, Any]:
    """The `terraform providers schema -json` document of the providers in `wheels`."""
    schemas: dict[str, Any] = {}
    versions: dict[str, str] = {}
    for wheel in wheels:
        source, version, schema = provider_schema(wheel)
        schemas[source] = schema
        versions[source] = version
    return {"format_version": "1.0", "provider_schemas": schemas, "provider_versions": versions}
