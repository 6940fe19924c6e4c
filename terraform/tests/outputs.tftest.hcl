# The outputs an operator copies, on a mock apply. tests/test_terraform_offline.py evaluates the
# run "outputs" (terraform test -verbose) and runs the commands it prints in bash.

mock_provider "google" {
  mock_resource "google_monitoring_dashboard" {
    defaults = {
      id = "projects/123456789012/dashboards/0b7f3c1e-5d2a-4c8e-9f61-2a4b6c8d0e1f"
    }
  }
}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  rules_file   = "rules.yaml"
  project_id   = "acme-crm-prod"
  zoho_dc      = "eu"
  alert_emails = ["ops@example.com"]
}

run "outputs" {
  assert {
    condition     = output.dashboard_url == "https://console.cloud.google.com/monitoring/dashboards/builder/0b7f3c1e-5d2a-4c8e-9f61-2a4b6c8d0e1f?project=acme-crm-prod"
    error_message = "dashboard_url must open the dashboard in its project."
  }

  assert {
    condition     = length(jsondecode(google_monitoring_dashboard.main.dashboard_json).mosaicLayout.tiles) == 5
    error_message = "The dashboard has outcomes, rules, two latency charts and the sweep results."
  }

  assert {
    condition     = strcontains(output.add_zoho_refresh_token_command, "gcloud secrets versions add zoho-lead-zoho-refresh-token --data-file=- --project=acme-crm-prod")
    error_message = "The refresh-token command must add a version to the refresh-token secret."
  }
}

run "without_the_sweep_the_dashboard_has_no_sweep_chart" {
  command = plan

  variables {
    enable_reconcile = false
  }

  assert {
    condition     = length(jsondecode(google_monitoring_dashboard.main.dashboard_json).mosaicLayout.tiles) == 4 && length(google_logging_metric.sweep) == 0
    error_message = "Without the sweep there is nothing to chart for it."
  }
}
