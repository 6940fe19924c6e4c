# What a first `terraform plan` knows. Mock providers leave every computed attribute unknown
# during a plan, as the real google provider does before anything exists; an assertion on an
# unknown value fails with "Unknown condition value".

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  rules_file   = "rules.yaml"
  project_id   = "acme-crm-prod"
  zoho_dc      = "eu"
  alert_emails = ["ops@example.com"]
}

# An environment variable unknown at plan time makes the google provider fail a first apply with
# "Provider produced inconsistent final plan" (hashicorp/terraform-provider-google#22497).
run "every_environment_variable_is_known_at_plan_time" {
  command = plan

  assert {
    condition     = alltrue([for v in values(google_cloudfunctions2_function.webhook.service_config[0].environment_variables) : v != ""])
    error_message = "An environment variable of the webhook is empty."
  }

  assert {
    condition     = alltrue([for v in values(google_cloudfunctions2_function.reconcile[0].service_config[0].environment_variables) : v != ""])
    error_message = "An environment variable of the sweep is empty."
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].environment_variables["WEBHOOK_SECRET_SECRET"] == "projects/acme-crm-prod/secrets/zoho-lead-webhook-secret/versions/latest"
    error_message = "WEBHOOK_SECRET_SECRET must name the webhook secret's latest version."
  }

  assert {
    condition     = google_cloudfunctions2_function.reconcile[0].service_config[0].environment_variables["ZOHO_ACCESS_TOKEN_SECRET"] == "projects/acme-crm-prod/secrets/zoho-lead-zoho-access-token"
    error_message = "ZOHO_ACCESS_TOKEN_SECRET must name the token cache secret itself (no version)."
  }

  assert {
    condition     = !contains(keys(google_cloudfunctions2_function.reconcile[0].service_config[0].environment_variables), "WEBHOOK_SECRET_SECRET")
    error_message = "The sweep must not be told where the webhook secret is."
  }
}

run "environment_without_the_token_cache_is_known_too" {
  command = plan

  variables {
    shared_token_cache = false
  }

  assert {
    condition     = alltrue([for v in values(google_cloudfunctions2_function.webhook.service_config[0].environment_variables) : v != ""])
    error_message = "An environment variable of the webhook is empty."
  }

  assert {
    condition     = !contains(keys(google_cloudfunctions2_function.webhook.service_config[0].environment_variables), "ZOHO_ACCESS_TOKEN_SECRET")
    error_message = "Without the cache the functions must not be given a cache secret."
  }
}

# max_instance_count = max(1, floor((zoho_concurrency_limit - sweep share) / webhook_concurrency)).
run "instances_follow_the_zoho_budget" {
  command = plan

  variables {
    zoho_concurrency_limit = 25
    webhook_concurrency    = 5
    reconcile_concurrency  = 4
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].max_instance_count == 4
    error_message = "(25 - 4) / 5 webhook calls in flight allow 4 instances."
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].max_instance_request_concurrency == 5 && google_cloudfunctions2_function.webhook.service_config[0].environment_variables["THREADS"] == "5"
    error_message = "Concurrency and THREADS must both be webhook_concurrency."
  }

  assert {
    condition     = output.webhook_max_instances == 4
    error_message = "The output must show the derived instance count."
  }
}

run "the_defaults_keep_the_calls_in_flight_within_zohos_limit" {
  command = plan

  assert {
    condition     = output.zoho_calls_in_flight == 10 && var.zoho_concurrency_limit == 10
    error_message = "One webhook instance of 6 and the sweep's 4 must make Zoho's 10, no more."
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].max_instance_request_concurrency == 6 && output.webhook_max_instances == 1
    error_message = "The default webhook is one instance of 6 concurrent requests."
  }
}

run "an_override_past_the_budget_warns" {
  command = plan

  variables {
    webhook_max_instances = 3
  }

  expect_failures = [check.zoho_concurrency_budget]
}

run "without_the_sweep_the_webhook_gets_the_whole_budget" {
  command = plan

  variables {
    zoho_concurrency_limit = 25
    webhook_concurrency    = 5
    enable_reconcile       = false
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].max_instance_count == 5
    error_message = "25 / 5 allow 5 instances when no sweep shares the budget."
  }
}

run "a_budget_below_one_instance_still_gives_one" {
  command = plan

  variables {
    zoho_concurrency_limit = 5
    webhook_concurrency    = 10
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].max_instance_count == 1
    error_message = "At least one instance, whatever the budget."
  }

  expect_failures = [check.zoho_concurrency_budget] # and a warning that it is past the budget
}

run "an_explicit_instance_count_wins" {
  command = plan

  variables {
    webhook_max_instances = 7
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook.service_config[0].max_instance_count == 7
    error_message = "webhook_max_instances overrides the derived count."
  }

  expect_failures = [check.zoho_concurrency_budget] # 7 x 6 + 4 is past Zoho's 10: a warning
}

run "the_custom_role_id_follows_the_prefix_unless_given" {
  command = plan

  assert {
    condition     = google_project_iam_custom_role.token_cache_pruner[0].role_id == "zoho_lead_token_cache_pruner"
    error_message = "The role ID derives from name_prefix."
  }
}

run "a_given_custom_role_id_replaces_a_deleted_ones" {
  command = plan

  variables {
    token_cache_role_id = "zoho_lead_token_cache_pruner_v2"
  }

  assert {
    condition     = google_project_iam_custom_role.token_cache_pruner[0].role_id == "zoho_lead_token_cache_pruner_v2"
    error_message = "token_cache_role_id must name the role."
  }
}

# The mode reaches both functions: dry_run unless the deployment says otherwise.
run "both_functions_run_in_the_mode_given" {
  command = plan

  assert {
    condition = alltrue([
      google_cloudfunctions2_function.webhook.service_config[0].environment_variables["CONVERSION_MODE"] == "dry_run",
      google_cloudfunctions2_function.reconcile[0].service_config[0].environment_variables["CONVERSION_MODE"] == "dry_run",
    ])
    error_message = "Both functions must get CONVERSION_MODE = dry_run by default."
  }
}

run "the_emergency_stop_reaches_both_functions" {
  command = plan

  variables {
    mode = "paused"
  }

  assert {
    condition = alltrue([
      google_cloudfunctions2_function.webhook.service_config[0].environment_variables["CONVERSION_MODE"] == "paused",
      google_cloudfunctions2_function.reconcile[0].service_config[0].environment_variables["CONVERSION_MODE"] == "paused",
    ])
    error_message = "mode = paused must reach both functions as CONVERSION_MODE."
  }
}
