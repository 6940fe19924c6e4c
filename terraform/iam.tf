# All grants of this deployment, in one place for review. Nothing is granted project-wide except
# the build account's log writing (which only exists at project level) and one read grant
# narrowed by a condition; the custom role below is defined in the project but granted on one
# secret only. The functions' own accounts hold no project-level role at all: their logs are
# the JSON lines they print to stdout, which the platform collects without any grant.

# ---------------------------------------------------------------------------------------------
# Service accounts: one per function (so the sweep cannot read the webhook secret), one for
# the builds, one for Cloud Scheduler.
# ---------------------------------------------------------------------------------------------

resource "google_service_account" "webhook" {
  account_id   = "${var.name_prefix}-webhook"
  display_name = "Runtime of ${local.webhook_name}"
  description  = "Zoho webhook function: reads the Zoho credentials and the webhook secret, maintains the token cache"

  depends_on = [time_sleep.apis_ready]
}

resource "google_service_account" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  account_id   = "${var.name_prefix}-reconcile"
  display_name = "Runtime of ${local.reconcile_name}"
  description  = "Reconcile sweep: reads the Zoho credentials, maintains the token cache"

  depends_on = [time_sleep.apis_ready]
}

resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-build"
  display_name = "Cloud Build for ${var.name_prefix} functions"
  description  = "Builds the function images: reads the source archive, pushes to one Artifact Registry repository, writes build logs"

  depends_on = [time_sleep.apis_ready]
}

resource "google_service_account" "scheduler" {
  count = var.enable_reconcile ? 1 : 0

  account_id   = "${var.name_prefix}-scheduler"
  display_name = "Cloud Scheduler caller of ${local.reconcile_name}"
  description  = "Identity in the OIDC token Cloud Scheduler sends to the reconcile function; may invoke that service only"

  depends_on = [time_sleep.apis_ready]
}

# ---------------------------------------------------------------------------------------------
# Runtime accounts
# ---------------------------------------------------------------------------------------------

# Read access to each value secret, per secret (never a project-wide secretAccessor).
resource "google_secret_manager_secret_iam_member" "webhook_secret_access" {
  for_each = toset(local.webhook_secret_keys)

  secret_id = google_secret_manager_secret.value[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.webhook.member
}

resource "google_secret_manager_secret_iam_member" "reconcile_secret_access" {
  for_each = var.enable_reconcile ? toset(local.reconcile_secret_keys) : toset([])

  secret_id = google_secret_manager_secret.value[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.reconcile[0].member
}

# Token cache and its claims (handlers/zoho/access_token.py, through handlers/platform/secret_manager.py), each
# grant on one secret. Every runtime account:
#   on the cache   secretAccessor        access_secret_version   read the shared token (versions/latest)
#                  secretVersionAdder    add_secret_version      store a new token
#   on the claims  secretVersionAdder    add_secret_version      claim the next refresh
#                  the pruner role       list_secret_versions    find the claims of the last lease
#                                        destroy_secret_version  a lost, lapsed or given-back claim
# The pruner alone (the sweep, which only Cloud Scheduler may call; the webhook when there is
# no sweep) also holds the pruner role on the cache, to destroy superseded tokens: Secret
# Manager bills every version kept, one more an hour otherwise. No account can change either
# secret itself (secrets.update: its expiry, rotation, topics), read a claim, open a secret to
# others (setIamPolicy), or revive an old token (versions.enable). Why and what remains:
# docs/terraform.md, "The token cache". tests/test_terraform.py holds these grants to the code's
# calls; terraform/tests/token_cache.tftest.hcl to the list above.
resource "google_project_iam_custom_role" "token_cache_pruner" {
  count = var.shared_token_cache ? 1 : 0

  role_id     = coalesce(var.token_cache_role_id, "${replace(var.name_prefix, "-", "_")}_token_cache_pruner")
  title       = "${var.name_prefix} access-token version pruner"
  description = "List and destroy versions of the shared Zoho access-token secret or of its refresh claims; granted on those secrets only"
  permissions = [
    "secretmanager.versions.destroy",
    "secretmanager.versions.list",
  ]

  depends_on = [time_sleep.apis_ready]
}

resource "google_secret_manager_secret_iam_member" "webhook_token_cache_access" {
  count = var.shared_token_cache ? 1 : 0

  secret_id = google_secret_manager_secret.token_cache[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.webhook.member
}

resource "google_secret_manager_secret_iam_member" "webhook_token_cache_adder" {
  count = var.shared_token_cache ? 1 : 0

  secret_id = google_secret_manager_secret.token_cache[0].id
  role      = "roles/secretmanager.secretVersionAdder"
  member    = google_service_account.webhook.member
}

resource "google_secret_manager_secret_iam_member" "webhook_token_claims_adder" {
  count = var.shared_token_cache ? 1 : 0

  secret_id = google_secret_manager_secret.token_claims[0].id
  role      = "roles/secretmanager.secretVersionAdder"
  member    = google_service_account.webhook.member
}

resource "google_secret_manager_secret_iam_member" "webhook_token_claims_pruner" {
  count = var.shared_token_cache ? 1 : 0

  secret_id = google_secret_manager_secret.token_claims[0].id
  role      = google_project_iam_custom_role.token_cache_pruner[0].name
  member    = google_service_account.webhook.member
}

# Only in a deployment without the sweep.
resource "google_secret_manager_secret_iam_member" "webhook_token_cache_pruner" {
  count = var.shared_token_cache && !var.enable_reconcile ? 1 : 0

  secret_id = google_secret_manager_secret.token_cache[0].id
  role      = google_project_iam_custom_role.token_cache_pruner[0].name
  member    = google_service_account.webhook.member
}

resource "google_secret_manager_secret_iam_member" "reconcile_token_cache_access" {
  count = var.shared_token_cache && var.enable_reconcile ? 1 : 0

  secret_id = google_secret_manager_secret.token_cache[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.reconcile[0].member
}

resource "google_secret_manager_secret_iam_member" "reconcile_token_cache_adder" {
  count = var.shared_token_cache && var.enable_reconcile ? 1 : 0

  secret_id = google_secret_manager_secret.token_cache[0].id
  role      = "roles/secretmanager.secretVersionAdder"
  member    = google_service_account.reconcile[0].member
}

resource "google_secret_manager_secret_iam_member" "reconcile_token_claims_adder" {
  count = var.shared_token_cache && var.enable_reconcile ? 1 : 0

  secret_id = google_secret_manager_secret.token_claims[0].id
  role      = "roles/secretmanager.secretVersionAdder"
  member    = google_service_account.reconcile[0].member
}

resource "google_secret_manager_secret_iam_member" "reconcile_token_claims_pruner" {
  count = var.shared_token_cache && var.enable_reconcile ? 1 : 0

  secret_id = google_secret_manager_secret.token_claims[0].id
  role      = google_project_iam_custom_role.token_cache_pruner[0].name
  member    = google_service_account.reconcile[0].member
}

resource "google_secret_manager_secret_iam_member" "reconcile_token_cache_pruner" {
  count = var.shared_token_cache && var.enable_reconcile ? 1 : 0

  secret_id = google_secret_manager_secret.token_cache[0].id
  role      = google_project_iam_custom_role.token_cache_pruner[0].name
  member    = google_service_account.reconcile[0].member
}

# ---------------------------------------------------------------------------------------------
# Build account (build_config.service_account). Since mid-2024 new projects no longer give the
# default Cloud Build / Compute accounts broad rights, and those are shared by everything else
# in the project; this account can do exactly what a function build needs.
# ---------------------------------------------------------------------------------------------

# Build logs. With a custom build account (build_config.service_account) Cloud Build writes the
# build's log to Cloud Logging as this account, so Google documents logWriter as part of the
# minimum for such an account, with artifactregistry.writer and read access to the source
# (Cloud Functions "build-custom-sa", Cloud Run "build-service-account"). The build log is what
# a failed deploy is debugged from. The only logWriter grant in the configuration: the runtime
# accounts have none (see the top of this file).
resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

# Push the built image and the buildpack cache: on the one repository the functions use.
resource "google_artifact_registry_repository_iam_member" "build_writer" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

# Read the archive Terraform uploads...
resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# ...and the copy of it the build actually fetches: Cloud Functions copies the archive into its
# own bucket gcf-v2-sources-<project number>-<region> before building. That bucket is created
# by the service on first deploy, so a bucket-level grant is impossible; the project-level
# grant is restricted by condition to exactly that bucket and its objects. A bare prefix
# (startsWith ".../gcf-v2-sources-N-europe-west1") would also match the buckets of other
# regions (europe-west10, europe-west12): hence equality for the bucket and the bucket's own
# "/objects/" prefix for what is in it.
resource "google_project_iam_member" "build_gcf_sources_reader" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member

  condition {
    title       = "gcf-v2-sources-only"
    description = "Only the bucket Cloud Functions copies function sources into"
    expression  = "resource.name == \"${local.gcf_sources_bucket}\" || resource.name.startsWith(\"${local.gcf_sources_bucket}/objects/\")"
  }
}

# New grants take a while to reach Cloud Build; without the pause a first deploy can fail with
# "Access to bucket gcf-v2-sources-... denied" (seen in the provider's own acceptance tests).
resource "time_sleep" "build_iam_propagation" {
  create_duration = local.iam_propagation_wait

  depends_on = [
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
    google_project_iam_member.build_gcf_sources_reader,
  ]
}

# ---------------------------------------------------------------------------------------------
# Invokers (Cloud Run run.invoker on the function's service; the service name is the function
# name).
# ---------------------------------------------------------------------------------------------

# Zoho CRM cannot present Google credentials, so the webhook must accept unauthenticated
# calls; the function authenticates every request itself with the shared secret in the
# X-Webhook-Secret header (constant-time compare) before doing anything.
resource "google_cloud_run_service_iam_member" "webhook_public_invoker" {
  # checkov:skip=CKV_GCP_102:Public by design: Zoho CRM workflow webhooks cannot send Google credentials. Every request is authenticated in the function by the shared secret header X-Webhook-Secret (constant-time compare), max_instance_count bounds abuse, and this is the only allUsers grant in the configuration.
  location = google_cloudfunctions2_function.webhook.location
  service  = google_cloudfunctions2_function.webhook.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Only the scheduler's account may invoke the sweep, and only this service.
resource "google_cloud_run_service_iam_member" "reconcile_scheduler_invoker" {
  count = var.enable_reconcile ? 1 : 0

  location = google_cloudfunctions2_function.reconcile[0].location
  service  = google_cloudfunctions2_function.reconcile[0].name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler[0].member
}
