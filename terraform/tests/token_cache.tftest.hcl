# What the runtime accounts may do to the token-cache secret and its claims secret: read and add
# versions of the cache (secretAccessor, secretVersionAdder), add, list and destroy claims
# (secretVersionAdder and the custom role), and, for the pruner alone (the sweep, or the webhook
# when there is no sweep), list and destroy the cache's superseded versions. tests/test_terraform.py
# holds these grants to the calls in the code; this file holds them to the lists written here, so
# a permission added or dropped is a visible change.

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  rules_file   = "rules.yaml"
  project_id   = "acme-crm-prod"
  zoho_dc      = "eu"
  alert_emails = ["ops@example.com"]
}

run "the_custom_role_only_lists_and_destroys_versions" {
  command = plan

  assert {
    condition = toset(google_project_iam_custom_role.token_cache_pruner[0].permissions) == toset([
      "secretmanager.versions.list",    # list_secret_versions: claims of the last lease, superseded tokens
      "secretmanager.versions.destroy", # destroy_secret_version: lost or lapsed claims, superseded tokens
    ])
    error_message = "The pruner role must hold exactly versions.list and versions.destroy."
  }
}

run "the_claims_secret_is_the_cache_name_followed_by_claims" {
  command = plan

  assert {
    condition     = google_secret_manager_secret.token_claims[0].secret_id == "${google_secret_manager_secret.token_cache[0].secret_id}-claims"
    error_message = "handlers/zoho/access_token.py finds the claims secret by the cache's name followed by -claims."
  }
}

run "each_runtime_account_reads_and_adds_tokens_and_claims" {
  assert {
    condition = alltrue([
      for grant in [
        google_secret_manager_secret_iam_member.webhook_token_cache_access[0],
        google_secret_manager_secret_iam_member.webhook_token_cache_adder[0],
        google_secret_manager_secret_iam_member.reconcile_token_cache_access[0],
        google_secret_manager_secret_iam_member.reconcile_token_cache_adder[0],
        google_secret_manager_secret_iam_member.reconcile_token_cache_pruner[0],
      ] : grant.secret_id == google_secret_manager_secret.token_cache[0].id
      ]) && alltrue([
      for grant in [
        google_secret_manager_secret_iam_member.webhook_token_claims_adder[0],
        google_secret_manager_secret_iam_member.webhook_token_claims_pruner[0],
        google_secret_manager_secret_iam_member.reconcile_token_claims_adder[0],
        google_secret_manager_secret_iam_member.reconcile_token_claims_pruner[0],
      ] : grant.secret_id == google_secret_manager_secret.token_claims[0].id
    ])
    error_message = "The cache grants must be on the cache secret, the claim grants on the claims secret."
  }

  assert {
    condition = (
      google_secret_manager_secret_iam_member.webhook_token_cache_access[0].role == "roles/secretmanager.secretAccessor" &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_access[0].role == "roles/secretmanager.secretAccessor" &&
      google_secret_manager_secret_iam_member.webhook_token_cache_adder[0].role == "roles/secretmanager.secretVersionAdder" &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_adder[0].role == "roles/secretmanager.secretVersionAdder" &&
      google_secret_manager_secret_iam_member.webhook_token_claims_adder[0].role == "roles/secretmanager.secretVersionAdder" &&
      google_secret_manager_secret_iam_member.reconcile_token_claims_adder[0].role == "roles/secretmanager.secretVersionAdder" &&
      google_secret_manager_secret_iam_member.webhook_token_claims_pruner[0].role == google_project_iam_custom_role.token_cache_pruner[0].name &&
      google_secret_manager_secret_iam_member.reconcile_token_claims_pruner[0].role == google_project_iam_custom_role.token_cache_pruner[0].name &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_pruner[0].role == google_project_iam_custom_role.token_cache_pruner[0].name
    )
    error_message = "Each grant is the predefined reader or adder role, or the pruner role, nothing broader."
  }
}

run "with_a_sweep_only_the_sweep_prunes_the_cache" {
  assert {
    condition = (
      length(google_secret_manager_secret_iam_member.webhook_token_cache_pruner) == 0 &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_pruner[0].member == google_service_account.reconcile[0].member &&
      google_cloudfunctions2_function.reconcile[0].service_config[0].environment_variables["ZOHO_ACCESS_TOKEN_PRUNE"] == "true" &&
      !contains(keys(google_cloudfunctions2_function.webhook.service_config[0].environment_variables), "ZOHO_ACCESS_TOKEN_PRUNE")
    )
    error_message = "The internet-facing webhook must not destroy cached tokens while a sweep does."
  }
}

run "without_a_sweep_the_webhook_prunes_the_cache" {
  variables {
    enable_reconcile = false
  }

  assert {
    condition = (
      google_secret_manager_secret_iam_member.webhook_token_cache_pruner[0].member == google_service_account.webhook.member &&
      google_secret_manager_secret_iam_member.webhook_token_cache_pruner[0].secret_id == google_secret_manager_secret.token_cache[0].id &&
      google_cloudfunctions2_function.webhook.service_config[0].environment_variables["ZOHO_ACCESS_TOKEN_PRUNE"] == "true"
    )
    error_message = "Without a sweep the webhook prunes, or superseded tokens pile up (each one billed)."
  }
}

run "without_the_shared_cache_there_is_no_secret_role_or_grant" {
  command = plan

  variables {
    shared_token_cache = false
  }

  assert {
    condition = (
      length(google_secret_manager_secret.token_cache) == 0 &&
      length(google_secret_manager_secret.token_claims) == 0 &&
      length(google_project_iam_custom_role.token_cache_pruner) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_cache_access) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_cache_adder) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_claims_adder) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_claims_pruner) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_cache_pruner) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_cache_access) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_cache_adder) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_claims_adder) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_claims_pruner) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_cache_pruner) == 0
    )
    error_message = "shared_token_cache = false must remove both secrets, the role and every grant on them."
  }
}
