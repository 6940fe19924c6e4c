# ---------------------------------------------------------------------------------------------
# Project and naming
# ---------------------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "ID (not number, not display name) of the existing Google Cloud project to deploy into."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter (e.g. \"acme-crm-prod\")."
  }
}

variable "region" {
  type        = string
  description = "Region for the functions, buckets, Artifact Registry repository and Cloud Scheduler job, e.g. \"europe-west1\". Pick one close to your Zoho data centre."
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as \"europe-west1\" or \"us-central1\" (not a zone such as \"europe-west1-b\", not a multi-region such as \"EU\")."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name: functions are \"<prefix>-webhook\" and \"<prefix>-reconcile\", service accounts \"<prefix>-webhook|reconcile|build|scheduler\", secrets \"<prefix>-zoho-client-id\" etc., buckets \"<project>-<prefix>-src|logs|logs-meta\". At most 20 characters so that every derived name stays within its limit (service account IDs: 30)."
  default     = "zoho-lead"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name_prefix))
    error_message = "name_prefix must be 1-20 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "labels" {
  type        = map(string)
  description = "Extra labels put on every resource that supports labels (provider default_labels). The label app=zoho-lead-converter is always added."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels :
      can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must start with a lowercase letter; keys and values may contain only lowercase letters, digits, '_' and '-' (max 63 characters)."
  }
}

# ---------------------------------------------------------------------------------------------
# Application settings (environment variables of the functions)
# ---------------------------------------------------------------------------------------------

variable "zoho_dc" {
  type        = string
  description = "Zoho data centre of your CRM org (ZOHO_DC): us (zoho.com), eu, in, au, jp, ca (zohocloud.ca), sa or cn. It must be the DC where the self-client and refresh token were created; a token used against another DC is rejected as invalid."

  validation {
    condition     = contains(["us", "eu", "in", "au", "jp", "ca", "sa", "cn"], var.zoho_dc)
    error_message = "zoho_dc must be one of: us, eu, in, au, jp, ca, sa, cn (lowercase)."
  }
}

variable "zoho_api_version" {
  type        = string
  description = "Zoho CRM REST API version (ZOHO_API_VERSION). The code is written against v8."
  default     = "v8"

  # The versions the code accepts (handlers/platform/settings.py API_VERSIONS; tests/test_terraform.py
  # keeps the two lists equal).
  validation {
    condition     = contains(["v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"], var.zoho_api_version)
    error_message = "zoho_api_version must be one of v2, v2.1, v3, v4, v5, v6, v7, v8 (the code is written against v8)."
  }
}

variable "rules_file" {
  type        = string
  description = "Path of your conversion rules file, relative to the repository root (no default: a deployment names its own rules; copy rules.yaml, the demo's, as a start). It is packaged at the root of the function archive under its base name, and RULES_FILE is set to that base name. Changing the file's content (or this path) redeploys both functions."

  validation {
    condition = alltrue([
      can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\\.ya?ml$", var.rules_file)),
      !strcontains(var.rules_file, ".."),
    ])
    error_message = "rules_file must be a relative path to a .yaml/.yml file inside the repository (no leading '/', no '..')."
  }
}

variable "failure_note" {
  type        = bool
  description = "FAILURE_NOTE: when true the code adds a note to a lead whose conversion failed permanently, so CRM users see why."
  default     = true
}

variable "shared_token_cache" {
  type        = bool
  description = "Share the Zoho access token between instances through a Secret Manager secret (ZOHO_ACCESS_TOKEN_SECRET). Zoho allows only 10 access tokens per refresh token per 10 minutes, so without it a burst of cold starts can lock the integration out for 10-30 minutes. Keep it on unless you run a single instance."
  default     = true
}

variable "runtime" {
  type        = string
  description = "Cloud Run functions Python runtime. python312 and python313 run on the google-22 stack, python314 on google-24."
  default     = "python312"

  validation {
    condition     = contains(["python312", "python313", "python314"], var.runtime)
    error_message = "runtime must be python312, python313 or python314 (the code needs Python 3.12 or newer)."
  }
}

# ---------------------------------------------------------------------------------------------
# Webhook function (public; called by the Zoho workflow rule)
# ---------------------------------------------------------------------------------------------

variable "webhook_memory" {
  type        = string
  description = "Memory of the webhook function. It always gets 1 vCPU (required for more than one concurrent request per instance), which allows 128Mi to 4Gi."
  default     = "256M"

  validation {
    condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", var.webhook_memory))
    error_message = "webhook_memory must be a size such as \"256M\", \"512Mi\" or \"1Gi\"."
  }
}

variable "webhook_timeout_seconds" {
  type        = number
  description = "Request timeout of the webhook function, in seconds. The code answers within WEBHOOK_DEADLINE_SECONDS, set 10 s lower, whatever Zoho does."
  default     = 60

  validation {
    condition     = var.webhook_timeout_seconds >= 20 && var.webhook_timeout_seconds <= 3600 && floor(var.webhook_timeout_seconds) == var.webhook_timeout_seconds
    error_message = "webhook_timeout_seconds must be a whole number between 20 and 3600 (WEBHOOK_DEADLINE_SECONDS is set 10 s lower)."
  }
}

variable "webhook_concurrency" {
  type        = number
  description = "Concurrent requests per webhook instance (max_instance_request_concurrency). THREADS, the functions-framework gunicorn thread count, is set to the same value. The default, 6, with one instance and the sweep's 4, keeps the calls in flight within zoho_concurrency_limit (10)."
  default     = 6

  validation {
    condition     = var.webhook_concurrency >= 1 && var.webhook_concurrency <= 80 && floor(var.webhook_concurrency) == var.webhook_concurrency
    error_message = "webhook_concurrency must be a whole number between 1 and 80."
  }
}

variable "zoho_concurrency_limit" {
  type        = number
  description = "How many Zoho API calls this integration may have in flight at once. Zoho limits concurrent calls per org and connected app; Convert Lead is a \"heavy\" API with a sub-concurrency of 10 (Standard edition; Free 5, Professional 15, Enterprise 20, Ultimate 25 for the overall limit). Beyond it Zoho answers 429 TOO_MANY_REQUESTS and the code retries with exponential backoff and jitter, which costs latency, not leads. Used to derive webhook_max_instances."
  default     = 10

  validation {
    condition     = var.zoho_concurrency_limit >= 1 && var.zoho_concurrency_limit <= 100 && floor(var.zoho_concurrency_limit) == var.zoho_concurrency_limit
    error_message = "zoho_concurrency_limit must be a whole number between 1 and 100."
  }
}

variable "webhook_max_instances" {
  type        = number
  description = "Override for the webhook's max_instance_count. null (default) derives it as max(1, floor((zoho_concurrency_limit - reconcile_concurrency if the sweep is enabled) / webhook_concurrency)), so that instances x concurrency stays within Zoho's concurrency budget. Also bounds the cost of abuse of the public URL."
  default     = null

  validation {
    condition     = var.webhook_max_instances == null ? true : (var.webhook_max_instances >= 1 && var.webhook_max_instances <= 100 && floor(var.webhook_max_instances) == var.webhook_max_instances)
    error_message = "webhook_max_instances must be null or a whole number between 1 and 100."
  }
}

variable "webhook_min_instances" {
  type        = number
  description = "Instances kept warm for the webhook (0 = scale to zero; 1 removes cold starts for a small monthly cost)."
  default     = 0

  validation {
    condition     = var.webhook_min_instances >= 0 && var.webhook_min_instances <= 5 && floor(var.webhook_min_instances) == var.webhook_min_instances
    error_message = "webhook_min_instances must be a whole number between 0 and 5."
  }
}

# ---------------------------------------------------------------------------------------------
# Reconcile function (private; called by Cloud Scheduler)
# ---------------------------------------------------------------------------------------------

variable "enable_reconcile" {
  type        = bool
  description = "Deploy the scheduled reconciliation sweep (function `reconcile`, its service account and the Cloud Scheduler job). It converts leads whose webhook was lost: Zoho documents no webhook retries."
  default     = true
}

variable "reconcile_schedule" {
  type        = string
  description = "Cron schedule (5 fields, unix-cron) of the reconcile sweep."
  default     = "*/15 * * * *"

  validation {
    condition     = can(regex("^[0-9*/,-]+( [0-9*/,A-Za-z-]+){4}$", trimspace(var.reconcile_schedule)))
    error_message = "reconcile_schedule must be a 5-field unix-cron expression separated by single spaces, e.g. \"*/15 * * * *\"."
  }
}

variable "reconcile_time_zone" {
  type        = string
  description = "tz database time zone in which reconcile_schedule is interpreted."
  default     = "Etc/UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.reconcile_time_zone))
    error_message = "reconcile_time_zone must be a tz database name such as \"Etc/UTC\" or \"Europe/Berlin\"."
  }
}

variable "reconcile_timeout_seconds" {
  type        = number
  description = "Timeout of one reconcile sweep, in seconds. RECONCILE_MAX_SECONDS is set 60 s lower so the code stops and logs its summary before the platform kills the request; the Scheduler attempt deadline is set 60 s higher (Scheduler allows at most 1800 s)."
  default     = 540

  validation {
    condition     = var.reconcile_timeout_seconds >= 120 && var.reconcile_timeout_seconds <= 1740 && floor(var.reconcile_timeout_seconds) == var.reconcile_timeout_seconds
    error_message = "reconcile_timeout_seconds must be a whole number between 120 and 1740."
  }
}

variable "reconcile_memory" {
  type        = string
  description = "Memory of the reconcile function."
  default     = "512M"

  validation {
    condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", var.reconcile_memory))
    error_message = "reconcile_memory must be a size such as \"512M\" or \"1Gi\"."
  }
}

variable "reconcile_grace_minutes" {
  type        = number
  description = "RECONCILE_GRACE_MINUTES: leads modified more recently than this are left to the webhook (avoids racing an in-flight webhook)."
  default     = 10

  validation {
    condition     = var.reconcile_grace_minutes >= 0 && var.reconcile_grace_minutes <= 1440 && floor(var.reconcile_grace_minutes) == var.reconcile_grace_minutes
    error_message = "reconcile_grace_minutes must be a whole number between 0 and 1440."
  }
}

variable "reconcile_since" {
  type        = string
  description = "RECONCILE_SINCE: the scheduled sweep converts only leads modified at or after this RFC 3339 time (e.g. \"2026-11-01T00:00:00Z\"). null (default) uses the moment of the first terraform apply, kept across later applies, so old qualified leads are never converted without someone asking (run `reconcile --since <older time> --dry-run` for a backlog)."
  default     = null

  validation {
    condition     = var.reconcile_since == null || can(formatdate("YYYY", var.reconcile_since))
    error_message = "reconcile_since must be null or an RFC 3339 time such as \"2026-11-01T00:00:00Z\"."
  }
}

variable "reconcile_concurrency" {
  type        = number
  description = "RECONCILE_CONCURRENCY: parallel Zoho calls made by one sweep. Counted against zoho_concurrency_limit when deriving the webhook's instance limit."
  default     = 4

  validation {
    condition     = var.reconcile_concurrency >= 1 && var.reconcile_concurrency <= 10 && floor(var.reconcile_concurrency) == var.reconcile_concurrency
    error_message = "reconcile_concurrency must be a whole number between 1 and 10 (the code's limit: Zoho's Convert Lead sub-concurrency)."
  }
}

variable "reconcile_ingress" {
  type        = string
  description = "Ingress of the reconcile function. ALLOW_INTERNAL_ONLY (default) admits Cloud Scheduler jobs of the same project calling the default run.app URL, which is what this configuration does; the internet cannot reach it and IAM (run.invoker for the scheduler's account only) applies on top. Set ALLOW_ALL only if your organisation's setup makes Scheduler calls arrive as external (the job then fails with 403/404 in its logs); IAM still blocks everyone else."
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_ALL"], var.reconcile_ingress)
    error_message = "reconcile_ingress must be ALLOW_INTERNAL_ONLY or ALLOW_ALL."
  }
}

# ---------------------------------------------------------------------------------------------
# Storage, secrets, monitoring
# ---------------------------------------------------------------------------------------------

variable "secret_replica_locations" {
  type        = list(string)
  description = "Regions in which Secret Manager stores the secret values. Empty (default) = automatic replication chosen by Google; set e.g. [\"europe-west1\", \"europe-west4\"] to keep the Zoho credentials in specific regions."
  default     = []

  validation {
    condition     = alltrue([for l in var.secret_replica_locations : can(regex("^[a-z]+-[a-z]+[0-9]+$", l))])
    error_message = "secret_replica_locations must be a list of regions such as \"europe-west1\"."
  }
}

variable "token_cache_role_id" {
  type        = string
  description = "ID of the project custom role that lets the functions list and destroy versions of the token cache and its claims. null (default) derives it from name_prefix: <name_prefix with _ for ->_token_cache_pruner. A deleted custom role can be undeleted for 7 days and its ID stays reserved for 37 days, so re-creating the deployment with the same name_prefix within that time fails: undelete the role (gcloud iam roles undelete ID --project PROJECT) within 7 days, or set another ID here."
  default     = null

  validation {
    condition     = var.token_cache_role_id == null || can(regex("^[a-zA-Z0-9_.]{3,64}$", var.token_cache_role_id))
    error_message = "token_cache_role_id must be null or 3-64 letters, digits, '_' and '.' (a custom role ID)."
  }
}

variable "secret_access_audit_logs" {
  type        = bool
  description = "Turn on Secret Manager Data Access audit logs (DATA_READ: every read of a secret value, with the caller's identity) in this project, so a read of the Zoho credentials by anyone but the functions is on record. Audit config is per service, so this covers every secret in the project, and the google_project_iam_audit_config resource owns the project's audit config for secretmanager.googleapis.com: set false where audit logging is managed centrally (organisation or folder policy, another Terraform configuration), or the two will overwrite each other. The entries count as Cloud Logging ingestion; the volume is small, since the functions keep what they read for SECRET_CACHE_SECONDS (5 minutes)."
  default     = true
}

variable "access_log_retention_days" {
  type        = number
  description = "Days the Cloud Storage access logs of the source bucket (and of the log buckets) are kept."
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1 && var.access_log_retention_days <= 3650 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number between 1 and 3650."
  }
}

variable "force_destroy_buckets" {
  type        = bool
  description = "Allow `terraform destroy` to delete the buckets together with their objects (source archives and access logs). Keep false in normal operation; set true, apply, then destroy when tearing down."
  default     = false
}

variable "force_destroy_secrets" {
  type        = bool
  description = "Allow Terraform to delete the four credential secrets (Zoho client ID, client secret, refresh token, webhook secret), which deletes their values for good. false (default) sets deletion_protection on them, so `terraform destroy`, or a change of secret_replica_locations (which replaces them), fails instead. Set true and apply only right before a deliberate teardown or replacement."
  default     = false
}

variable "notification_channels" {
  type        = list(string)
  description = "Existing Cloud Monitoring notification channels (Slack, PagerDuty, SMS, ...) for the alert policies, as full names (projects/P/notificationChannels/123) or bare channel IDs (123). Used together with alert_emails. At least one channel in the two is required: with both empty the plan fails, unless alerts_notify_nobody = true."
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^(projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/)?[0-9]+$", c))])
    error_message = "Each notification channel must be a channel ID (digits) or a name projects/<project>/notificationChannels/<id>."
  }
}

variable "alert_emails" {
  type        = list(string)
  description = "Email addresses that receive the alerts: one email notification channel is created per address and added to every alert policy, together with notification_channels. At least one channel in the two is required: with both empty the plan fails, unless alerts_notify_nobody = true."
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s,;<>]+@[^@\\s,;<>]+\\.[^@\\s,;<>.]+$", e))])
    error_message = "Each entry of alert_emails must be one email address such as \"ops@example.com\" (no display names, no comma-separated lists)."
  }
}

variable "alerts_notify_nobody" {
  type        = bool
  description = "Deploy with alert policies that notify nobody: true only on purpose (a test project), with alert_emails and notification_channels both empty. Without a channel the policies still open incidents, but only someone looking at the Cloud Monitoring console sees failed conversions, 5xx answers, a stopped sweep or someone guessing the webhook secret. false (default): the plan fails unless alert_emails or notification_channels names a channel. When true, every plan warns and the output alert_warning says so."
  default     = false
  nullable    = false
}

variable "rejected_requests_alert_threshold" {
  type        = number
  description = "Alert when the webhook rejects more than this many requests (wrong or missing X-Webhook-Secret, wrong method, oversized or malformed body) within 5 minutes: someone is probing the public URL or guessing the secret, or Zoho still sends a secret that was rotated away. A correctly configured Zoho causes none; the default leaves room for stray scanners."
  default     = 20

  validation {
    condition     = var.rejected_requests_alert_threshold >= 1 && floor(var.rejected_requests_alert_threshold) == var.rejected_requests_alert_threshold
    error_message = "rejected_requests_alert_threshold must be a whole number of at least 1."
  }
}

variable "mode" {
  type        = string
  description = "What both functions do with a qualifying lead (CONVERSION_MODE): dry_run (the default: decide and log what would be sent, send no Convert or Mass Convert), live (convert), paused (the emergency stop: answer at once and call nothing in Zoho; the sweep picks up the leads edited meanwhile once unpaused)."
  default     = "dry_run"

  validation {
    condition     = contains(["dry_run", "live", "paused"], var.mode)
    error_message = "mode must be one of dry_run, live, paused."
  }
}
