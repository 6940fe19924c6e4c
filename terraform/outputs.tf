output "webhook_url" {
  description = "URL to paste into the Zoho CRM webhook (method POST, header X-Webhook-Secret)."
  value       = google_cloudfunctions2_function.webhook.service_config[0].uri
}

output "reconcile_url" {
  description = "URL of the private reconcile function (null when enable_reconcile = false). Not reachable from the internet; trigger a sweep with reconcile_run_command."
  value       = one(google_cloudfunctions2_function.reconcile[*].service_config[0].uri)
}

output "reconcile_run_command" {
  description = "Runs the reconcile sweep now, through Cloud Scheduler."
  value       = var.enable_reconcile ? "gcloud scheduler jobs run ${one(google_cloud_scheduler_job.reconcile[*].name)} --location=${var.region} --project=${var.project_id}" : null
}

output "webhook_header_name" {
  description = "HTTP header in which Zoho must send the webhook secret."
  value       = "X-Webhook-Secret"
}

output "zoho_webhook_body" {
  description = "Raw JSON body of the Zoho webhook, for setting it up by hand (zoho-lead-converter connect sets the same): the lead's id as the API merge field $${!Leads.Id}."
  value       = "{\"lead_id\": \"$${!Leads.Id}\"}"
}

output "secret_names" {
  description = "Secret Manager resource names, by the environment variable that carries them. The four *value* secrets need a value from you (the add_*_command outputs); the access-token cache is written by the functions."
  value = merge(
    {
      ZOHO_CLIENT_ID_SECRET     = local.secret_names["zoho_client_id"]
      ZOHO_CLIENT_SECRET_SECRET = local.secret_names["zoho_client_secret"]
      ZOHO_REFRESH_TOKEN_SECRET = local.secret_names["zoho_refresh_token"]
      WEBHOOK_SECRET_SECRET     = local.secret_names["webhook_secret"]
    },
    { for s in google_secret_manager_secret.token_cache : "ZOHO_ACCESS_TOKEN_SECRET" => "projects/${var.project_id}/secrets/${s.secret_id}" },
  )
}

# One command per output, printed with `terraform output -raw NAME` (plain `terraform output`
# shows strings in HCL syntax, quotes escaped, which a shell would store in the secret). Each
# Zoho command reads the value at a hidden prompt (nothing in shell history or on screen) and
# pipes it to gcloud byte for byte; run one at a time: eval "$(terraform output -raw NAME)".
# tests/test_terraform_commands.py runs them in bash against a recording gcloud.
output "add_zoho_client_id_command" {
  description = "Adds the Zoho client ID: run eval \"$(terraform output -raw add_zoho_client_id_command)\" and paste the value at the prompt."
  value       = local.secret_value_commands["zoho_client_id"]
}

output "add_zoho_client_secret_command" {
  description = "Adds the Zoho client secret: run eval \"$(terraform output -raw add_zoho_client_secret_command)\" and paste the value at the prompt."
  value       = local.secret_value_commands["zoho_client_secret"]
}

output "add_zoho_refresh_token_command" {
  description = "Adds the Zoho refresh token: run eval \"$(terraform output -raw add_zoho_refresh_token_command)\" and paste the value at the prompt."
  value       = local.secret_value_commands["zoho_refresh_token"]
}

output "add_webhook_secret_command" {
  description = "Generates a random webhook secret (32 bytes) and adds it: eval \"$(terraform output -raw add_webhook_secret_command)\". Nothing to type."
  value       = local.secret_value_commands["webhook_secret"]
}

output "show_webhook_secret_command" {
  description = "Prints the current webhook secret once, to paste into the Zoho webhook's X-Webhook-Secret header: eval \"$(terraform output -raw show_webhook_secret_command)\"."
  value       = local.secret_value_commands["webhook_secret_reveal"]
}

output "webhook_max_instances" {
  description = "Effective max_instance_count of the webhook (derived from the Zoho concurrency budget unless overridden)."
  value       = local.webhook_max_instances
}

output "service_accounts" {
  description = "Service accounts created, by role."
  value = {
    webhook   = google_service_account.webhook.email
    reconcile = one(google_service_account.reconcile[*].email)
    build     = google_service_account.build.email
    scheduler = one(google_service_account.scheduler[*].email)
  }
}

# Alerts must reach someone. Without a channel the plan fails here, before anything changes; a
# deployment without notifications takes alerts_notify_nobody = true, said on purpose in its
# variables, and then every plan warns (check "alerts_notify_somebody") and this output says so.
output "alert_warning" {
  description = "A warning when the alerts notify nobody (alerts_notify_nobody = true); null, and so not shown, otherwise. Its preconditions fail the plan when no alert channel is set without alerts_notify_nobody, and when alerts_notify_nobody contradicts the channels given."
  value       = var.alerts_notify_nobody ? "WARNING: the alert policies notify nobody (alerts_notify_nobody = true). Failed conversions, 5xx answers, a stopped sweep and bursts of rejected webhook requests open incidents in the Cloud Monitoring console only. Set alert_emails = [\"you@example.com\"] (or notification_channels), remove alerts_notify_nobody and apply again." : null

  precondition {
    condition     = !local.no_alert_channel || var.alerts_notify_nobody
    error_message = "No alert channel: alert_emails and notification_channels are both empty, so failed conversions, 5xx answers, a stopped sweep and someone guessing the webhook secret would notify nobody. Set alert_emails = [\"you@example.com\"] (or notification_channels) in terraform.tfvars. To deploy without notifications on purpose, set alerts_notify_nobody = true."
  }

  precondition {
    condition     = !(var.alerts_notify_nobody && !local.no_alert_channel)
    error_message = "alerts_notify_nobody = true, but alert_emails or notification_channels names a channel: remove alerts_notify_nobody (or the channels)."
  }
}

output "dashboard_url" {
  description = "Cloud Monitoring dashboard of conversions, sweep results and webhook latency."
  value       = "https://console.cloud.google.com/monitoring/dashboards/builder/${element(split("/", google_monitoring_dashboard.main.id), 3)}?project=${var.project_id}"
}

output "zoho_calls_in_flight" {
  description = "The most Zoho calls the functions can have in flight at once (webhook instances x concurrency, plus the sweep's concurrency), to hold against zoho_concurrency_limit."
  value       = local.zoho_calls_in_flight
}
