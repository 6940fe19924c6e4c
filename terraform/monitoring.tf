# Outcome counter from the one structured JSON line each request writes, and alerts on
# failures, on 5xx responses, on failed scheduler runs and on bursts of rejected webhook
# requests. Every policy notifies local.notification_channels (notification_channels plus one
# email channel per alert_emails address).

# A warning on every plan and apply of a deployment whose alerts notify nobody on purpose
# (without alerts_notify_nobody, no channel fails the plan: output alert_warning in outputs.tf).
check "alerts_notify_somebody" {
  assert {
    condition     = !var.alerts_notify_nobody
    error_message = "alerts_notify_nobody = true: the alert policies notify nobody, so failed conversions, 5xx answers, a stopped sweep and someone guessing the webhook secret show in the Cloud Monitoring console only. Set alert_emails (or notification_channels) and remove alerts_notify_nobody."
  }
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  display_name = "${var.name_prefix} alerts: ${each.value}"
  type         = "email"
  description  = "Receives the alerts of the ${var.name_prefix} lead converter (Terraform variable alert_emails)"

  labels = {
    email_address = each.value
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_logging_metric" "outcomes" {
  name        = "${var.name_prefix}-outcomes"
  description = "Requests of the ${var.name_prefix} functions by outcome (converted, already_converted, skipped, dry_run, paused, not_found, deferred, held, failed, error, rejected, misconfigured; reconciled = one sweep summary)"
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name=(${join(" OR ", [for s in local.monitored_services : "\"${s}\""])})
    jsonPayload.outcome:*
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} outcomes"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "jsonPayload.outcome of the log line"
    }

    labels {
      key         = "severity"
      value_type  = "STRING"
      description = "Severity of the log line (a sweep summary is ERROR when leads failed)"
    }

    labels {
      key         = "rule"
      value_type  = "STRING"
      description = "jsonPayload.rule: the rule that decided the lead (empty when none did)"
    }
  }

  label_extractors = {
    outcome  = "EXTRACT(jsonPayload.outcome)"
    severity = "EXTRACT(severity)"
    rule     = "EXTRACT(jsonPayload.rule)"
  }

  depends_on = [time_sleep.apis_ready]
}

# A new log-based metric takes a while to become visible to Cloud Monitoring; creating the
# policy at once fails with "Cannot find metric(s) that match type" (provider issue #11102).
resource "time_sleep" "outcomes_metric_propagation" {
  create_duration = local.log_metric_propagation_wait

  depends_on = [google_logging_metric.outcomes, google_logging_metric.webhook_duration, google_logging_metric.sweep]
}

resource "google_monitoring_alert_policy" "failures" {
  display_name          = "${var.name_prefix}: lead conversions failing or 5xx"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Outcome failed, error or misconfigured"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.outcomes.name}\" AND resource.type=\"cloud_run_revision\" AND metric.labels.outcome=one_of(\"failed\", \"error\", \"misconfigured\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.labels.outcome", "resource.labels.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  # The sweep logs one summary line (outcome "reconciled") with the failed leads in it, at
  # ERROR severity when any failed, the rules have problems against the org or a query was refused
  # (rules_problems), the token's user lacks a permission (setup_problems), or the run stopped on an
  # error or the setup.
  conditions {
    display_name = "Reconcile sweep reported failed leads, rules or setup problems"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.outcomes.name}\" AND resource.type=\"cloud_run_revision\" AND metric.labels.outcome=\"reconciled\" AND metric.labels.severity=\"ERROR\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "HTTP 5xx responses"
    condition_threshold {
      filter          = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=one_of(${join(", ", [for s in local.monitored_services : "\"${s}\""])}) AND metric.labels.response_code_class=\"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: lead conversion failures"
    content   = <<-EOT
      A lead conversion failed (outcome failed/error/misconfigured, or a sweep summary listing
      failed leads, rules_problems: what the rules would fail on in the org or a COQL query Zoho
      refused, fixed in the rules file or in Zoho; `zoho-lead-converter check-rules --org` lists
      them, or setup_problems: a permission the token's user lacks) or a function answered 5xx.
      Logs: resource.type="cloud_run_revision" AND resource.labels.service_name=("${join("\" OR \"", local.monitored_services)}") AND severity>=WARNING.
      Each line carries lead_id, rule, code and attempts. `misconfigured` means a secret is
      missing or unreadable, or the rules file is invalid: fix it and the next sweep retries.
    EOT
  }

  depends_on = [time_sleep.outcomes_metric_propagation]
}

# The webhook is public and authenticated by a shared secret only, so a run of rejected requests
# (outcome "rejected": wrong or missing X-Webhook-Secret, wrong method, a bad body or lead id such
# as an unreplaced merge field) is the trace of someone guessing the secret or probing the URL, of
# Zoho sending a rotated-away secret, or of a Zoho webhook set up wrong.
resource "google_monitoring_alert_policy" "rejected_requests" {
  display_name          = "${var.name_prefix}: burst of rejected webhook requests"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels

  conditions {
    display_name = "More than ${var.rejected_requests_alert_threshold} rejected webhook requests in 5 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.outcomes.name}\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.webhook_name}\" AND metric.labels.outcome=\"rejected\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.rejected_requests_alert_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: burst of rejected webhook requests"
    content   = <<-EOT
      ${local.webhook_name} rejected more than ${var.rejected_requests_alert_threshold} requests in 5 minutes.
      Each log line says why (reason) and carries the request's trace; the request log next to it
      has the caller's IP address and user agent:
      resource.type="cloud_run_revision" AND resource.labels.service_name="${local.webhook_name}" AND jsonPayload.outcome="rejected".
      Many 401s from addresses that are not Zoho's: someone is guessing the webhook secret. The
      generated secret has 32 random bytes and is compared in constant time, so guessing is
      hopeless; if it may have leaked, rotate it (README, "Add the secret values"). 401s for
      every lead right after a rotation: Zoho still sends the old secret; update the header in
      the Zoho webhook. Mostly 405s (GET) from scanners: noise; raise
      rejected_requests_alert_threshold.
    EOT
  }

  depends_on = [time_sleep.outcomes_metric_propagation]
}

# The sweep's own requests can fail before the function runs (OIDC, IAM, ingress, timeouts):
# Cloud Scheduler logs such attempts at ERROR. A log-match condition needs a rate limit and
# must be alone in its policy.
resource "google_monitoring_alert_policy" "reconcile_job" {
  count = var.enable_reconcile ? 1 : 0

  display_name          = "${var.name_prefix}: reconcile sweep not running"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Cloud Scheduler attempt failed"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"${google_cloud_scheduler_job.reconcile[0].name}\" AND severity>=ERROR"
    }
  }

  alert_strategy {
    auto_close = "1800s"
    notification_rate_limit {
      period = "3600s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: reconcile sweep failed"
    content   = <<-EOT
      Cloud Scheduler could not run ${local.reconcile_name}. The job log shows the status:
      PERMISSION_DENIED / 403 points at the invoker grant or at ingress (see the variable
      reconcile_ingress), DEADLINE_EXCEEDED at a sweep longer than reconcile_timeout_seconds.
      Run it by hand with: gcloud scheduler jobs run ${var.name_prefix}-reconcile --location ${var.region} --project ${var.project_id}
    EOT
  }

  depends_on = [time_sleep.apis_ready]
}
