# Who can reach what, on a mock apply of the whole configuration: every computed attribute (ids,
# service account members, URLs) gets a distinct generated value, so equal values are the same
# resource.

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  rules_file   = "rules.yaml"
  project_id   = "acme-crm-prod"
  zoho_dc      = "eu"
  alert_emails = ["ops@example.com"]
}

run "only_the_webhook_is_public" {
  assert {
    condition     = google_cloud_run_service_iam_member.webhook_public_invoker.member == "allUsers" && google_cloud_run_service_iam_member.webhook_public_invoker.role == "roles/run.invoker"
    error_message = "The webhook must be invokable by allUsers (Zoho cannot send Google credentials)."
  }

  assert {
    condition     = google_cloud_run_service_iam_member.webhook_public_invoker.service == google_cloudfunctions2_function.webhook.name && google_cloud_run_service_iam_member.webhook_public_invoker.location == google_cloudfunctions2_function.webhook.location
    error_message = "The allUsers invoker grant must be on the webhook's service."
  }

  assert {
    condition     = google_cloud_run_service_iam_member.reconcile_scheduler_invoker[0].service == google_cloudfunctions2_function.reconcile[0].name && google_cloud_run_service_iam_member.reconcile_scheduler_invoker[0].member == google_service_account.scheduler[0].member
    error_message = "Only the scheduler's account may invoke the sweep."
  }

  assert {
    condition = alltrue([
      for member in concat(
        [google_cloud_run_service_iam_member.reconcile_scheduler_invoker[0].member],
        [for r in google_secret_manager_secret_iam_member.webhook_secret_access : r.member],
        [for r in google_secret_manager_secret_iam_member.reconcile_secret_access : r.member],
        google_secret_manager_secret_iam_member.webhook_token_cache_access[*].member,
        google_secret_manager_secret_iam_member.webhook_token_cache_adder[*].member,
        google_secret_manager_secret_iam_member.webhook_token_claims_adder[*].member,
        google_secret_manager_secret_iam_member.webhook_token_claims_pruner[*].member,
        google_secret_manager_secret_iam_member.webhook_token_cache_pruner[*].member,
        google_secret_manager_secret_iam_member.reconcile_token_cache_access[*].member,
        google_secret_manager_secret_iam_member.reconcile_token_cache_adder[*].member,
        google_secret_manager_secret_iam_member.reconcile_token_claims_adder[*].member,
        google_secret_manager_secret_iam_member.reconcile_token_claims_pruner[*].member,
        google_secret_manager_secret_iam_member.reconcile_token_cache_pruner[*].member,
        [google_project_iam_member.build_log_writer.member, google_project_iam_member.build_gcf_sources_reader.member],
        [google_artifact_registry_repository_iam_member.build_writer.member, google_storage_bucket_iam_member.build_source_reader.member],
        [for r in google_storage_bucket_iam_member.access_logs_writer : r.member],
      ) : !contains(["allUsers", "allAuthenticatedUsers"], member)
    ])
    error_message = "allUsers / allAuthenticatedUsers may appear only in the webhook's invoker grant."
  }

  assert {
    condition     = google_cloudfunctions2_function.reconcile[0].service_config[0].ingress_settings == "ALLOW_INTERNAL_ONLY"
    error_message = "The sweep must not be reachable from the internet."
  }
}

run "the_sweeps_account_cannot_read_the_webhook_secret" {
  assert {
    condition = !contains(
      [
        for grant in concat(
          values(google_secret_manager_secret_iam_member.webhook_secret_access),
          values(google_secret_manager_secret_iam_member.reconcile_secret_access),
          google_secret_manager_secret_iam_member.webhook_token_cache_access,
          google_secret_manager_secret_iam_member.webhook_token_cache_adder,
          google_secret_manager_secret_iam_member.webhook_token_claims_adder,
          google_secret_manager_secret_iam_member.webhook_token_claims_pruner,
          google_secret_manager_secret_iam_member.webhook_token_cache_pruner,
          google_secret_manager_secret_iam_member.reconcile_token_cache_access,
          google_secret_manager_secret_iam_member.reconcile_token_cache_adder,
          google_secret_manager_secret_iam_member.reconcile_token_claims_adder,
          google_secret_manager_secret_iam_member.reconcile_token_claims_pruner,
          google_secret_manager_secret_iam_member.reconcile_token_cache_pruner,
        ) : grant.secret_id if grant.member == google_service_account.reconcile[0].member
      ],
      google_secret_manager_secret.value["webhook_secret"].id,
    )
    error_message = "The sweep's service account holds a grant on the webhook secret."
  }

  assert {
    condition     = length(google_secret_manager_secret_iam_member.reconcile_secret_access) == 3 && google_service_account.reconcile[0].member != google_service_account.webhook.member
    error_message = "The sweep reads the three Zoho credentials with its own account."
  }

  assert {
    condition     = google_secret_manager_secret_iam_member.webhook_secret_access["webhook_secret"].member == google_service_account.webhook.member && google_secret_manager_secret_iam_member.webhook_secret_access["webhook_secret"].secret_id == google_secret_manager_secret.value["webhook_secret"].id
    error_message = "The webhook's own account must be able to read the webhook secret."
  }
}

run "the_scheduler_calls_the_sweep_with_the_sweeps_url_as_audience" {
  assert {
    condition     = google_cloudfunctions2_function.reconcile[0].service_config[0].uri != "" && google_cloud_scheduler_job.reconcile[0].http_target[0].oidc_token[0].audience == google_cloudfunctions2_function.reconcile[0].service_config[0].uri
    error_message = "The OIDC audience must be the sweep's URL."
  }

  assert {
    condition     = google_cloud_scheduler_job.reconcile[0].http_target[0].uri == google_cloudfunctions2_function.reconcile[0].service_config[0].uri && google_cloud_scheduler_job.reconcile[0].http_target[0].oidc_token[0].service_account_email == google_service_account.scheduler[0].email
    error_message = "Scheduler must call the sweep's URL as the scheduler's account."
  }
}

run "the_gcf_sources_grant_names_exactly_one_bucket" {
  override_data {
    target = data.google_project.this
    values = {
      number = "123456789012"
    }
  }

  assert {
    condition     = google_project_iam_member.build_gcf_sources_reader.condition[0].expression == "resource.name == \"projects/_/buckets/gcf-v2-sources-123456789012-europe-west1\" || resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-123456789012-europe-west1/objects/\")"
    error_message = "The condition must match the region's bucket and its objects, nothing with a longer name."
  }
}
