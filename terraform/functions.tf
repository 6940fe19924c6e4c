# Zoho's complex APIs (Convert Lead, COQL) allow an org 10 calls in flight (docs/zoho-api.md,
# "Credits and limits"); beyond, Zoho answers 429 and the functions back off. The defaults fit;
# an override that does not is planned with this warning.
check "zoho_concurrency_budget" {
  assert {
    condition     = local.zoho_calls_in_flight <= var.zoho_concurrency_limit
    error_message = "The functions can have ${local.zoho_calls_in_flight} Zoho calls in flight (${local.webhook_max_instances} webhook instances x ${var.webhook_concurrency} + the sweep's ${local.reconcile_zoho_share}), more than zoho_concurrency_limit (${var.zoho_concurrency_limit}): Zoho will answer some with 429 and they will be retried later. Lower webhook_concurrency or webhook_max_instances."
  }
}

# Two Cloud Run functions (2nd gen) built from the same source archive.

resource "google_cloudfunctions2_function" "webhook" {
  # checkov:skip=CKV_GCP_124:Ingress must be ALLOW_ALL: Zoho CRM calls the webhook from the public internet, from addresses Zoho does not publish. ALLOW_INTERNAL_AND_GCLB would need an external load balancer (a standing cost) that adds no authentication Zoho can use. Every request is authenticated in the function by the X-Webhook-Secret shared secret; the private reconcile function uses internal-only ingress.
  name        = local.webhook_name
  location    = var.region
  description = "Zoho CRM workflow webhook: converts one lead per call according to the rules file"

  build_config {
    runtime           = var.runtime
    entry_point       = "zoho_webhook"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # Concurrency above 1 needs at least 1 vCPU; THREADS (env) matches the concurrency.
    available_cpu                    = "1"
    available_memory                 = var.webhook_memory
    timeout_seconds                  = var.webhook_timeout_seconds
    max_instance_request_concurrency = var.webhook_concurrency
    max_instance_count               = local.webhook_max_instances
    min_instance_count               = var.webhook_min_instances
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.webhook.email

    environment_variables = merge(
      local.env_common,
      local.env_webhook,
      { for k, v in local.env_token_cache : k => v if var.shared_token_cache },
      { for k, v in local.env_token_pruner : k => v if var.shared_token_cache && !var.enable_reconcile },
    )
  }

  depends_on = [
    time_sleep.apis_ready,
    time_sleep.build_iam_propagation,
    google_secret_manager_secret_iam_member.webhook_secret_access,
    google_secret_manager_secret_iam_member.webhook_token_cache_access,
    google_secret_manager_secret_iam_member.webhook_token_cache_adder,
    google_secret_manager_secret_iam_member.webhook_token_claims_adder,
    google_secret_manager_secret_iam_member.webhook_token_claims_pruner,
    google_secret_manager_secret_iam_member.webhook_token_cache_pruner,
  ]
}

resource "google_cloudfunctions2_function" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  name        = local.reconcile_name
  location    = var.region
  description = "Scheduled sweep: converts leads whose webhook was lost (private, called by Cloud Scheduler)"

  build_config {
    runtime           = var.runtime
    entry_point       = "reconcile"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # One sweep at a time: overlapping sweeps would only race each other.
    available_memory                 = var.reconcile_memory
    timeout_seconds                  = var.reconcile_timeout_seconds
    max_instance_request_concurrency = 1
    max_instance_count               = 1
    min_instance_count               = 0
    # Cloud Scheduler in the same project calling the run.app URL counts as internal traffic.
    ingress_settings               = var.reconcile_ingress
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.reconcile[0].email

    environment_variables = merge(
      local.env_common,
      local.env_reconcile,
      { for k, v in local.env_token_cache : k => v if var.shared_token_cache },
      { for k, v in local.env_token_pruner : k => v if var.shared_token_cache },
    )
  }

  depends_on = [
    time_sleep.apis_ready,
    time_sleep.build_iam_propagation,
    google_secret_manager_secret_iam_member.reconcile_secret_access,
    google_secret_manager_secret_iam_member.reconcile_token_cache_access,
    google_secret_manager_secret_iam_member.reconcile_token_cache_adder,
    google_secret_manager_secret_iam_member.reconcile_token_claims_adder,
    google_secret_manager_secret_iam_member.reconcile_token_claims_pruner,
    google_secret_manager_secret_iam_member.reconcile_token_cache_pruner,
  ]
}
