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
  description = "Raw JSON body to configure in the Zoho webhook (merge field of the lead ID; some orgs need the API form {\"lead_id\": \"$${!Leads.Id}\"})."
  value       = "{\"lead_id\": \"$${Leads.Lead Id}\"}"
}

output "secret_names" {
  description = "Secret Manager resource names, by the environment variable that carries them. The four *value* secrets need a value from you (secret_value_commands); the access-token cache is written by the functions."
  value = merge(
    {
      ZOHO_CLIENT_ID_SECRET     = google_secret_manager_secret.value["zoho_client_id"].id
      ZOHO_CLIENT_SECRET_SECRET = google_secret_manager_secret.value["zoho_client_secret"].id
      ZOHO_REFRESH_TOKEN_SECRET = google_secret_manager_secret.value["zoho_refresh_token"].id
      WEBHOOK_SECRET_SECRET     = google_secret_manager_secret.value["webhook_secret"].id
    },
    { for s in google_secret_manager_secret.token_cache : "ZOHO_ACCESS_TOKEN_SECRET" => s.id },
  )
}

output "secret_value_commands" {
  description = "Commands that add the secret values. Each reads the value at a hidden prompt (nothing in shell history or on screen) and pipes it to gcloud; the webhook secret is generated instead, then shown once with the access command so you can paste it into Zoho."
  value = merge(
    {
      for k in ["zoho_client_id", "zoho_client_secret", "zoho_refresh_token"] :
      k => "printf 'Paste the ${replace(k, "_", " ")} and press Enter: ' && IFS= read -rs V && echo && printf '%s' \"$V\" | gcloud secrets versions add ${google_secret_manager_secret.value[k].secret_id} --data-file=- --project=${var.project_id}; unset V"
    },
    {
      webhook_secret        = "python3 -c 'import secrets,sys; sys.stdout.write(secrets.token_urlsafe(32))' | gcloud secrets versions add ${google_secret_manager_secret.value["webhook_secret"].secret_id} --data-file=- --project=${var.project_id}"
      webhook_secret_reveal = "gcloud secrets versions access latest --secret=${google_secret_manager_secret.value["webhook_secret"].secret_id} --project=${var.project_id}"
    },
  )
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

output "alert_warning" {
  description = "A warning when the alerts notify nobody (notification_channels and alert_emails both empty); null, and so not shown, otherwise."
  value       = local.alerts_notify_nobody ? "WARNING: the alert policies notify nobody. notification_channels and alert_emails are both empty, so failed conversions, 5xx answers, a stopped sweep and bursts of rejected webhook requests open incidents in the Cloud Monitoring console only. Set alert_emails = [\"you@example.com\"] (or notification_channels) and apply again." : null
}
