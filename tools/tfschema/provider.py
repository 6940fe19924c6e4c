"""A schema-only Terraform provider: it serves a rebuilt schema and accepts every configuration.

Terraform needs a provider binary for `init`, `validate` and `terraform test` (whose
`mock_provider` takes the schema from the real provider and fakes the rest). The PyPI package `tf`
implements Terraform's plugin protocol 6 in Python (handshake, mTLS, gRPC); this module gives it
a provider whose resource and data-source schemas come from the `GetProviderSchema` answer that
`tools.tfschema.mirror` serialised from the cdktn schema. Validation beyond the schema (enum
values, conflicting options) lives in the real provider's Go code and is not reproduced: every
Validate* call answers "no problems", and nothing is ever created.

Runs inside .venv-terraform (the provider executables in the mirror call `serve`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tf.gen import tfplugin_pb2 as pb
from tf.runner import run_provider
from tf.utils import Diagnostics

NESTING = {
    "single": pb.Schema.NestedBlock.NestingMode.SINGLE,
    "list": pb.Schema.NestedBlock.NestingMode.LIST,
    "set": pb.Schema.NestedBlock.NestingMode.SET,
    "map": pb.Schema.NestedBlock.NestingMode.MAP,
    "group": pb.Schema.NestedBlock.NestingMode.GROUP,
}


def block_pb(block: dict[str, Any]) -> pb.Schema.Block:
    attributes = [
        pb.Schema.Attribute(
            name=name,
            type=json.dumps(spec["type"]).encode(),
            required=spec.get("required", False),
            optional=spec.get("optional", False),
            computed=spec.get("computed", False),
            sensitive=spec.get("sensitive", False),
            description_kind=pb.StringKind.PLAIN,
        )
        for name, spec in sorted(block.get("attributes", {}).items())
    ]
    nested = [
        pb.Schema.NestedBlock(
            type_name=name,
            block=block_pb(spec["block"]),
            nesting=NESTING[spec["nesting_mode"]],
            min_items=spec.get("min_items", 0),
            max_items=spec.get("max_items", 0),
        )
        for name, spec in sorted(block.get("block_types", {}).items())
    ]
    return pb.Schema.Block(attributes=attributes, block_types=nested, description_kind=pb.StringKind.PLAIN)


def schema_pb(schema: dict[str, Any]) -> pb.Schema:
    return pb.Schema(version=schema.get("version", 0), block=block_pb(schema["block"]))


def schema_response(provider: dict[str, Any]) -> bytes:
    """One provider's schema (a `providers schema -json` entry) as a serialised GetProviderSchema
    answer: built once when the mirror is made, read in a few milliseconds at every start."""
    response = pb.GetProviderSchema.Response(provider=schema_pb(provider["provider"]))
    for name, schema in provider["resource_schemas"].items():
        response.resource_schemas[name].CopyFrom(schema_pb(schema))
    for name, schema in provider["data_source_schemas"].items():
        response.data_source_schemas[name].CopyFrom(schema_pb(schema))
    return response.SerializeToString()


class _Schema:
    """What `tf`'s servicer asks of a schema: its protobuf form."""

    def __init__(self, message: pb.Schema) -> None:
        self.message = message

    def to_pb(self) -> pb.Schema:
        return self.message


class _Type:
    """A resource or data source of the schema: accepts any configuration, is never applied."""

    type_name = ""
    schema: _Schema

    def __init__(self, provider: SchemaOnlyProvider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.type_name

    @classmethod
    def get_schema(cls) -> _Schema:
        return cls.schema

    def validate(self, diags: Diagnostics, type_name: str, config: dict[str, Any]) -> None:
        """Terraform itself checks the configuration against the schema; nothing more is known."""


class SchemaOnlyProvider:
    """The `tf.iface.Provider` protocol over a serialised GetProviderSchema answer."""

    def __init__(self, address: str, response: pb.GetProviderSchema.Response) -> None:
        self.address = address
        self.response = response

    def _types(self, schemas: Any) -> list[type[_Type]]:
        return [
            type(name, (_Type,), {"type_name": name, "schema": _Schema(message)})
            for name, message in schemas.items()
        ]

    def get_model_prefix(self) -> str:
        return ""  # the type names are already complete

    def full_name(self) -> str:
        return self.address

    def get_provider_schema(self, diags: Diagnostics) -> _Schema:
        return _Schema(self.response.provider)

    def validate_config(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        """Any provider configuration is accepted (the schema has been checked by Terraform)."""

    def configure_provider(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        """Nothing to configure: nothing is ever called."""

    def get_resources(self) -> list[type[_Type]]:
        return self._types(self.response.resource_schemas)

    def get_data_sources(self) -> list[type[_Type]]:
        return self._types(self.response.data_source_schemas)

    def get_functions(self) -> list[Any]:
        return []

    def new_resource(self, klass: type[_Type]) -> _Type:
        return klass(self)

    def new_data_source(self, klass: type[_Type]) -> _Type:
        return klass(self)


def serve(schema_file: str, address: str) -> None:
    """Entry point of a provider executable in the mirror."""
    response = pb.GetProviderSchema.Response.FromString(Path(schema_file).read_bytes())
    run_provider(SchemaOnlyProvider(address, response))  # type: ignore[arg-type]
