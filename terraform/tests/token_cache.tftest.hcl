# What the runtime accounts may do to the token-cache secret: read its versions (secretAccessor)
# and, through the custom role, exactly the Secret Manager methods handlers/ uses on it, granted on
# that secret alone. tests/test_terraform.py holds the role equal to the calls in the code; this
# file holds it to the list written here, so a permission added or dropped is a visible change.

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  project_id   = "acme-crm-prod"
  zoho_dc      = "eu"
  alert_emails = ["ops@example.com"]
}

run "the_custom_role_holds_exactly_the_methods_the_code_uses" {
  command = plan

  assert {
    condition = toset(google_project_iam_custom_role.token_cache_writer[0].permissions) == toset([
      "secretmanager.secrets.get",      # get_secret: the refresh claim's annotations and the etag
      "secretmanager.secrets.update",   # update_secret: write the claim (update_mask annotations, etag)
      "secretmanager.versions.add",     # add_secret_version: store a new access token
      "secretmanager.versions.list",    # list_secret_versions: find the older versions
      "secretmanager.versions.disable", # disable_secret_version: the superseded token
      "secretmanager.versions.destroy", # destroy_secret_version: versions disabled before
    ])
    error_message = "The token cache role must hold exactly the six permissions of the code's Secret Manager calls."
  }

  assert {
    condition = length(setintersection(toset(google_project_iam_custom_role.token_cache_writer[0].permissions), toset([
      "secretmanager.secrets.setIamPolicy",
      "secretmanager.secrets.getIamPolicy",
      "secretmanager.secrets.delete",
      "secretmanager.secrets.create",
      "secretmanager.secrets.list",
      "secretmanager.versions.enable",
      "secretmanager.versions.get",
      "secretmanager.versions.access",
    ]))) == 0
    error_message = "The role must not open the secret to others, delete or create secrets, list other secrets or revive old tokens (values are read through secretAccessor alone)."
  }
}

run "each_runtime_account_gets_the_role_and_secretaccessor_on_the_cache_only" {
  assert {
    condition = alltrue([
      for grant in [
        google_secret_manager_secret_iam_member.webhook_token_cache_access[0],
        google_secret_manager_secret_iam_member.webhook_token_cache_writer[0],
        google_secret_manager_secret_iam_member.reconcile_token_cache_access[0],
        google_secret_manager_secret_iam_member.reconcile_token_cache_writer[0],
      ] : grant.secret_id == google_secret_manager_secret.token_cache[0].id
    ])
    error_message = "The token cache grants must be on the token cache secret."
  }

  assert {
    condition = (
      google_secret_manager_secret_iam_member.webhook_token_cache_access[0].role == "roles/secretmanager.secretAccessor" &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_access[0].role == "roles/secretmanager.secretAccessor" &&
      google_secret_manager_secret_iam_member.webhook_token_cache_writer[0].role == google_project_iam_custom_role.token_cache_writer[0].name &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_writer[0].role == google_project_iam_custom_role.token_cache_writer[0].name
    )
    error_message = "Each runtime account reads the cache with secretAccessor and maintains it with the custom role, nothing else."
  }

  assert {
    condition = (
      google_secret_manager_secret_iam_member.webhook_token_cache_writer[0].member == google_service_account.webhook.member &&
      google_secret_manager_secret_iam_member.reconcile_token_cache_writer[0].member == google_service_account.reconcile[0].member
    )
    error_message = "The role goes to the two runtime accounts."
  }
}

run "without_the_shared_cache_there_is_no_role_and_no_grant" {
  command = plan

  variables {
    shared_token_cache = false
  }

  assert {
    condition = (
      length(google_project_iam_custom_role.token_cache_writer) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_cache_writer) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_cache_writer) == 0 &&
      length(google_secret_manager_secret_iam_member.webhook_token_cache_access) == 0 &&
      length(google_secret_manager_secret_iam_member.reconcile_token_cache_access) == 0
    )
    error_message = "shared_token_cache = false must remove the role and every grant on the cache."
  }
}
