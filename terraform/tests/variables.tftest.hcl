# Every variable validation rejects a bad value: one plan per validated variable, which must
# fail on that variable's validation and on nothing else (expect_failures). A validation added to
# variables.tf without a run here fails tests/test_terraform_offline.py.

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  rules_file   = "rules.yaml"
  project_id   = "acme-crm-prod"
  zoho_dc      = "eu"
  alert_emails = ["ops@example.com"]
}

run "project_id_rejects_a_bad_value" {
  command = plan

  variables {
    project_id = "Acme_Prod"
  }

  expect_failures = [var.project_id]
}

run "region_rejects_a_bad_value" {
  command = plan

  variables {
    region = "europe-west1-b"
  }

  expect_failures = [var.region]
}

run "name_prefix_rejects_a_bad_value" {
  command = plan

  variables {
    name_prefix = "zoho-lead-converter-production"
  }

  expect_failures = [var.name_prefix]
}

run "labels_rejects_a_bad_value" {
  command = plan

  variables {
    labels = { Team = "crm" }
  }

  expect_failures = [var.labels]
}

run "zoho_dc_rejects_a_bad_value" {
  command = plan

  variables {
    zoho_dc = "EU"
  }

  expect_failures = [var.zoho_dc]
}

run "zoho_api_version_rejects_a_bad_value" {
  command = plan

  variables {
    zoho_api_version = "v9"
  }

  expect_failures = [var.zoho_api_version]
}

run "rules_file_rejects_a_bad_value" {
  command = plan

  variables {
    rules_file = "../rules.yaml"
  }

  expect_failures = [var.rules_file]
}

run "runtime_rejects_a_bad_value" {
  command = plan

  variables {
    runtime = "python311"
  }

  expect_failures = [var.runtime]
}

run "webhook_memory_rejects_a_bad_value" {
  command = plan

  variables {
    webhook_memory = "256MB"
  }

  expect_failures = [var.webhook_memory]
}

run "webhook_timeout_seconds_rejects_a_bad_value" {
  command = plan

  variables {
    webhook_timeout_seconds = 10
  }

  expect_failures = [var.webhook_timeout_seconds]
}

run "webhook_concurrency_rejects_a_bad_value" {
  command = plan

  variables {
    webhook_concurrency = 0
  }

  expect_failures = [var.webhook_concurrency]
}

run "zoho_concurrency_limit_rejects_a_bad_value" {
  command = plan

  variables {
    zoho_concurrency_limit = 2.5
  }

  expect_failures = [var.zoho_concurrency_limit]
}

run "webhook_max_instances_rejects_a_bad_value" {
  command = plan

  variables {
    webhook_max_instances = 0
  }

  expect_failures = [var.webhook_max_instances]
}

run "webhook_min_instances_rejects_a_bad_value" {
  command = plan

  variables {
    webhook_min_instances = 6
  }

  expect_failures = [var.webhook_min_instances]
}

run "reconcile_schedule_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_schedule = "every 15 minutes"
  }

  expect_failures = [var.reconcile_schedule]
}

run "reconcile_time_zone_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_time_zone = "CET+1"
  }

  expect_failures = [var.reconcile_time_zone]
}

run "reconcile_timeout_seconds_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_timeout_seconds = 1800
  }

  expect_failures = [var.reconcile_timeout_seconds]
}

run "reconcile_memory_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_memory = "1 GB"
  }

  expect_failures = [var.reconcile_memory]
}

run "reconcile_grace_minutes_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_grace_minutes = -1
  }

  expect_failures = [var.reconcile_grace_minutes]
}

run "reconcile_since_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_since = "yesterday"
  }

  expect_failures = [var.reconcile_since]
}

run "reconcile_concurrency_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_concurrency = 11
  }

  expect_failures = [var.reconcile_concurrency]
}

run "reconcile_ingress_rejects_a_bad_value" {
  command = plan

  variables {
    reconcile_ingress = "ALLOW_INTERNAL_AND_GCLB"
  }

  expect_failures = [var.reconcile_ingress]
}

run "secret_replica_locations_rejects_a_bad_value" {
  command = plan

  variables {
    secret_replica_locations = ["EU"]
  }

  expect_failures = [var.secret_replica_locations]
}

run "access_log_retention_days_rejects_a_bad_value" {
  command = plan

  variables {
    access_log_retention_days = 0
  }

  expect_failures = [var.access_log_retention_days]
}

run "notification_channels_rejects_a_bad_value" {
  command = plan

  variables {
    notification_channels = ["slack"]
  }

  expect_failures = [var.notification_channels]
}

run "alert_emails_rejects_a_bad_value" {
  command = plan

  variables {
    alert_emails = ["ops@example.com, dev@example.com"]
  }

  expect_failures = [var.alert_emails]
}

run "rejected_requests_alert_threshold_rejects_a_bad_value" {
  command = plan

  variables {
    rejected_requests_alert_threshold = 0
  }

  expect_failures = [var.rejected_requests_alert_threshold]
}

run "token_cache_role_id_rejects_a_bad_value" {
  command = plan

  variables {
    token_cache_role_id = "zoho-lead-cache"
  }

  expect_failures = [var.token_cache_role_id]
}

run "mode_rejects_a_bad_value" {
  command = plan

  variables {
    mode = "on"
  }

  expect_failures = [var.mode]
}
