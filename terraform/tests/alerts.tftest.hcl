# Alerts reach someone by default: without a channel the plan fails; notifying nobody takes
# alerts_notify_nobody = true, and then every plan warns (check block) and alert_warning says so.

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  rules_file = "rules.yaml"
  project_id = "acme-crm-prod"
  zoho_dc    = "eu"
}

run "no_alert_channel_fails_the_plan" {
  command = plan

  expect_failures = [output.alert_warning]
}

run "notifying_nobody_on_purpose_applies_and_warns" {
  variables {
    alerts_notify_nobody = true
  }

  # The check block's assertion fails (a warning on every plan and apply, not an error).
  expect_failures = [check.alerts_notify_somebody]

  assert {
    condition     = startswith(output.alert_warning, "WARNING: the alert policies notify nobody")
    error_message = "alert_warning must say the alerts notify nobody."
  }

  assert {
    condition     = alltrue([for p in [google_monitoring_alert_policy.failures, google_monitoring_alert_policy.rejected_requests] : length(p.notification_channels) == 0])
    error_message = "With alerts_notify_nobody the policies have no channel."
  }
}

run "notifying_nobody_contradicted_by_a_channel_fails_the_plan" {
  command = plan

  variables {
    alerts_notify_nobody = true
    alert_emails         = ["ops@example.com"]
  }

  expect_failures = [output.alert_warning, check.alerts_notify_somebody]
}

run "an_email_notifies_every_policy_without_a_warning" {
  variables {
    alert_emails = ["ops@example.com"]
  }

  assert {
    condition     = output.alert_warning == null
    error_message = "alert_warning must be null when someone is notified."
  }

  assert {
    condition = alltrue([
      for p in concat([google_monitoring_alert_policy.failures, google_monitoring_alert_policy.rejected_requests], google_monitoring_alert_policy.reconcile_job) :
      contains(p.notification_channels, google_monitoring_notification_channel.email["ops@example.com"].name)
    ])
    error_message = "Every alert policy must notify the email channel."
  }
}

run "a_notification_channel_alone_is_enough" {
  command = plan

  variables {
    notification_channels = ["1234567890"]
  }

  assert {
    condition     = contains(google_monitoring_alert_policy.failures.notification_channels, "projects/acme-crm-prod/notificationChannels/1234567890")
    error_message = "A bare channel ID must become the project's channel name."
  }
}
