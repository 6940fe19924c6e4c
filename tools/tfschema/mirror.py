"""Build the offline provider setup from cdktn wheels: schema.json, a filesystem mirror, a CLI config.

Layout under the output directory (made by `make`, in .venv-terraform/schema/):

    schema.json                    `terraform providers schema -json` of every provider (schema check)
    providers/<name>.pb            serialised GetProviderSchema answer per provider
    mirror/registry.terraform.io/hashicorp/<name>/<version>/linux_amd64/terraform-provider-<name>_v<version>
    terraformrc                    CLI configuration: install hashicorp/* from that mirror only

The executables are small Python scripts (shebang: the interpreter of .venv-terraform) that serve
one provider's schema with tools.tfschema.provider. Terraform finds nothing anywhere else, so no
command can reach a registry.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

from tools.tfschema.extract import schema_document
from tools.tfschema.provider import schema_response

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = """#!{python}
# Schema-only provider {address} {version} (tools/tfschema): serves the schema, never calls Google.
import sys
sys.path.insert(0, {repo!r})
from tools.tfschema.provider import serve
serve({schema!r}, {address!r})
"""
CLI_CONFIG = """disable_checkpoint = true

provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"""


def build(wheels: list[Path], out: Path, python: Path = Path(sys.executable)) -> dict[str, str]:
    """Write the layout above; returns provider address -> version."""
    document = schema_document(wheels)
    out = out.resolve()  # the CLI configuration and the launchers name absolute paths
    out.mkdir(parents=True, exist_ok=True)
    (out / "schema.json").write_text(json.dumps(document, sort_keys=True))
    (out / "providers").mkdir(exist_ok=True)
    mirror = out / "mirror"
    for address, version in document["provider_versions"].items():
        name = address.rsplit("/", 1)[1]
        schema_file = out / "providers" / f"{name}.pb"
        schema_file.write_bytes(schema_response(document["provider_schemas"][address]))
        target = mirror / address / version / "linux_amd64"
        target.mkdir(parents=True, exist_ok=True)
        launcher = target / f"terraform-provider-{name}_v{version}"
        launcher.write_text(
            LAUNCHER.format(
                python=python, address=address, version=version, repo=str(REPO), schema=str(schema_file)
            )
        )
        launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (out / "terraformrc").write_text(CLI_CONFIG.format(mirror=mirror))
    return dict(document["provider_versions"])
