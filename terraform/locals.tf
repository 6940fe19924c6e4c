locals {
  # Repository root: the function source is built from it (see source.tf).
  root = abspath("${path.module}/..")

  labels = merge(var.labels, { app = "zoho-lead-converter" })

  webhook_name   = "${var.name_prefix}-webhook"
  reconcile_name = "${var.name_prefix}-reconcile"

  # The rules file sits at the archive root under its base name; RULES_FILE names it.
  rules_archive_name = basename(var.rules_file)

  # Zoho concurrency budget. Every webhook request makes its Zoho calls one after another, so
  # the webhook can have up to max_instances x concurrency calls in flight; the sweep adds
  # RECONCILE_CONCURRENCY of its own. Size the webhook so the sum stays within Zoho's limit
  # (at least one instance: beyond the limit Zoho answers 429 and the code backs off).
  reconcile_zoho_share          = var.enable_reconcile ? var.reconcile_concurrency : 0
  webhook_max_instances_derived = max(1, floor((var.zoho_concurrency_limit - local.reconcile_zoho_share) / var.webhook_concurrency))
  webhook_max_instances         = coalesce(var.webhook_max_instances, local.webhook_max_instances_derived)
  zoho_calls_in_flight          = local.webhook_max_instances * var.webhook_concurrency + local.reconcile_zoho_share

  # The sweep stops itself a minute before the platform timeout, and Scheduler waits a minute
  # longer than the platform before it counts the attempt as failed.
  reconcile_max_seconds = var.reconcile_timeout_seconds - 60
  # Every webhook answers within WEBHOOK_DEADLINE_SECONDS, 10 s inside the platform's timeout, so
  # its log line and answer are written before the platform would kill the request.
  webhook_deadline_seconds    = var.webhook_timeout_seconds - 10
  reconcile_since             = coalesce(var.reconcile_since, time_static.first_apply.rfc3339)
  reconcile_attempt_deadline  = "${var.reconcile_timeout_seconds + 60}s"
  iam_propagation_wait        = "60s"
  log_metric_propagation_wait = "120s"
  api_propagation_wait        = "60s"

  # IAM resource name of the bucket Cloud Functions copies sources into (iam.tf).
  gcf_sources_bucket = "projects/_/buckets/gcf-v2-sources-${data.google_project.this.number}-${var.region}"

  # Secrets whose VALUES the operator adds with gcloud (the add_*_command outputs).
  # Terraform creates the secrets, never versions, so no value reaches the state or the repo.
  value_secrets = {
    zoho_client_id     = "Zoho OAuth client ID of the self-client"
    zoho_client_secret = "Zoho OAuth client secret of the self-client"
    zoho_refresh_token = "Zoho OAuth refresh token (offline access) for the CRM org"
    webhook_secret     = "Shared secret Zoho sends in the X-Webhook-Secret header"
  }

  # The commands of the add_*_command / show_webhook_secret_command outputs (outputs.tf).
  secret_value_commands = merge(
    {
      for k in ["zoho_client_id", "zoho_client_secret", "zoho_refresh_token"] :
      k => "printf 'Paste the ${replace(k, "_", " ")} and press Enter: ' && IFS= read -rs V && echo && printf '%s' \"$V\" | gcloud secrets versions add ${google_secret_manager_secret.value[k].secret_id} --data-file=- --project=${var.project_id}; unset V"
    },
    {
      webhook_secret        = "python3 -c 'import secrets,sys; sys.stdout.write(secrets.token_urlsafe(32))' | gcloud secrets versions add ${google_secret_manager_secret.value["webhook_secret"].secret_id} --data-file=- --project=${var.project_id}"
      webhook_secret_reveal = "gcloud secrets versions access latest --secret=${google_secret_manager_secret.value["webhook_secret"].secret_id} --project=${var.project_id}"
    },
  )

  # Least privilege: each function's service account can read exactly these value secrets.
  webhook_secret_keys   = ["zoho_client_id", "zoho_client_secret", "zoho_refresh_token", "webhook_secret"]
  reconcile_secret_keys = ["zoho_client_id", "zoho_client_secret", "zoho_refresh_token"]

  # -------------------------------------------------------------------------------------------
  # Environment of the functions. Secrets are passed as Secret Manager resource NAMES; the code
  # reads them through the Secret Manager API, so a rotated value is picked up without redeploy.
  # The names are built from values known at plan time (project and secret_id), never from a
  # secret's `id`: that is unknown until the secret exists, and on a first apply an unknown
  # environment variable makes the google provider fail with "Provider produced inconsistent
  # final plan" (hashicorp/terraform-provider-google#22497). terraform/tests/plan.tftest.hcl
  # proves every variable is known in the plan.
  # -------------------------------------------------------------------------------------------
  secret_names = {
    for k, s in google_secret_manager_secret.value : k => "projects/${var.project_id}/secrets/${s.secret_id}"
  }

  env_common = {
    ZOHO_CLIENT_ID_SECRET     = "projects/${var.project_id}/secrets/${google_secret_manager_secret.value["zoho_client_id"].secret_id}/versions/latest"
    ZOHO_CLIENT_SECRET_SECRET = "projects/${var.project_id}/secrets/${google_secret_manager_secret.value["zoho_client_secret"].secret_id}/versions/latest"
    ZOHO_REFRESH_TOKEN_SECRET = "projects/${var.project_id}/secrets/${google_secret_manager_secret.value["zoho_refresh_token"].secret_id}/versions/latest"
    ZOHO_DC                   = var.zoho_dc
    ZOHO_API_VERSION          = var.zoho_api_version
    RULES_FILE                = local.rules_archive_name
    CONVERSION_MODE           = var.mode
    GOOGLE_CLOUD_PROJECT      = var.project_id
    FAILURE_NOTE              = tostring(var.failure_note)
  }

  env_webhook = {
    WEBHOOK_SECRET_SECRET    = "projects/${var.project_id}/secrets/${google_secret_manager_secret.value["webhook_secret"].secret_id}/versions/latest"
    THREADS                  = tostring(var.webhook_concurrency)
    WEBHOOK_DEADLINE_SECONDS = tostring(local.webhook_deadline_seconds)
  }

  env_reconcile = {
    THREADS                 = "1"
    RECONCILE_GRACE_MINUTES = tostring(var.reconcile_grace_minutes)
    RECONCILE_MAX_SECONDS   = tostring(local.reconcile_max_seconds)
    RECONCILE_CONCURRENCY   = tostring(var.reconcile_concurrency)
    RECONCILE_SINCE         = local.reconcile_since
  }

  # The secret itself, not a version: the code reads versions/latest and adds a version per new
  # token (its refresh claims go to the secret of the same name plus "-claims"). Merged only when
  # shared_token_cache is on; env_token_pruner only on the function that prunes (iam.tf).
  env_token_cache = {
    ZOHO_ACCESS_TOKEN_SECRET = one([for s in google_secret_manager_secret.token_cache : "projects/${var.project_id}/secrets/${s.secret_id}"])
  }
  env_token_pruner = {
    ZOHO_ACCESS_TOKEN_PRUNE = "true"
  }

  # Every environment variable the application code (main.py, handlers/) reads. The list is
  # checked against the code by tests/test_terraform.py: a name read by the code but missing
  # here, or listed here but no longer read, fails the test.
  app_env_vars = [
    "ZOHO_CLIENT_ID_SECRET",
    "ZOHO_CLIENT_SECRET_SECRET",
    "ZOHO_REFRESH_TOKEN_SECRET",
    "WEBHOOK_SECRET_SECRET",
    "ZOHO_ACCESS_TOKEN_SECRET",
    "ZOHO_ACCESS_TOKEN_PRUNE",
    "ZOHO_DC",
    "ZOHO_API_VERSION",
    "RULES_FILE",
    "CONVERSION_MODE",
    "GOOGLE_CLOUD_PROJECT",
    "FAILURE_NOTE",
    "RECONCILE_GRACE_MINUTES",
    "RECONCILE_MAX_SECONDS",
    "RECONCILE_CONCURRENCY",
    "RECONCILE_SINCE",
    "WEBHOOK_DEADLINE_SECONDS",
    "ZOHO_ACCOUNTS_URL",
    "ZOHO_API_DOMAIN",
    "DRY_RUN",
    "ZOHO_RETRY_SECONDS",
    "ZOHO_CONNECT_TIMEOUT_SECONDS",
    "ZOHO_READ_TIMEOUT_SECONDS",
    "ZOHO_TOKEN_COOLDOWN_SECONDS",
    "SECRET_CACHE_SECONDS",
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "WEBHOOK_SECRET",
    "SECRET_MANAGER_ENDPOINT",
    "XDG_CACHE_HOME",
    "ZOHO_WEBHOOK_NAME",
    "ZOHO_SETUP_REFRESH_TOKEN",
  ]

  # Read by the code but deliberately NOT set: the code's defaults are the intended values
  # (ZOHO_ACCOUNTS_URL / ZOHO_API_DOMAIN follow ZOHO_DC and the token response). Set one by
  # adding it to env_common only when you need to deviate.
  app_env_vars_defaulted = [
    "ZOHO_ACCOUNTS_URL",
    "ZOHO_API_DOMAIN",
    "DRY_RUN", # read as CONVERSION_MODE=dry_run when that is unset, for one release
    "ZOHO_RETRY_SECONDS",
    "ZOHO_CONNECT_TIMEOUT_SECONDS",
    "ZOHO_READ_TIMEOUT_SECONDS",
    "ZOHO_TOKEN_COOLDOWN_SECONDS",
    "SECRET_CACHE_SECONDS",
    "ZOHO_WEBHOOK_NAME", # the name connect gives the webhook by default (zoho_lead_converter)
  ]

  # Read by the code for local runs and tests only, and never to be set in the deployment: the
  # first four carry secret VALUES (they would land in the state and in the function's
  # configuration), SECRET_MANAGER_ENDPOINT points the client at a fake server, XDG_CACHE_HOME
  # places the command line's access-token file (handlers/zoho/token_stores.py), and
  # ZOHO_SETUP_REFRESH_TOKEN is an admin's token for the setup commands (connect, verify,
  # disconnect), which the functions never run.
  app_env_vars_local_only = [
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "WEBHOOK_SECRET",
    "SECRET_MANAGER_ENDPOINT",
    "XDG_CACHE_HOME",
    "ZOHO_SETUP_REFRESH_TOKEN",
  ]

  # Set by Terraform for the platform, not read by the application code: functions-framework
  # sizes its gunicorn thread pool from THREADS.
  platform_env_vars = ["THREADS"]

  monitored_services = concat([local.webhook_name], var.enable_reconcile ? [local.reconcile_name] : [])

  # Every alert policy notifies these: the channels given by name or ID, and one email channel
  # per address in alert_emails (monitoring.tf). With none, the plan fails unless
  # var.alerts_notify_nobody says so on purpose (outputs.tf, output alert_warning).
  notification_channels = concat(
    [
      for c in var.notification_channels :
      startswith(c, "projects/") ? c : "projects/${var.project_id}/notificationChannels/${c}"
    ],
    [for c in google_monitoring_notification_channel.email : c.name],
  )
  no_alert_channel = length(var.notification_channels) + length(var.alert_emails) == 0
}
