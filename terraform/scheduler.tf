# Cloud Scheduler calls the reconcile function with an OIDC token of its own service account,
# which holds run.invoker on that one service (iam.tf).

resource "google_cloud_scheduler_job" "reconcile" {
  count = var.enable_reconcile ? 1 : 0

  name             = "${var.name_prefix}-reconcile"
  description      = "Runs the ${local.reconcile_name} sweep"
  region           = var.region
  schedule         = var.reconcile_schedule
  time_zone        = var.reconcile_time_zone
  attempt_deadline = local.reconcile_attempt_deadline

  # Modest: the next scheduled run is a retry anyway, and a sweep is idempotent.
  retry_config {
    retry_count          = 1
    min_backoff_duration = "60s"
    max_backoff_duration = "300s"
    max_doublings        = 2
  }

  http_target {
    # The run.app URL: Scheduler traffic to it counts as internal for the ingress setting.
    uri         = google_cloudfunctions2_function.reconcile[0].service_config[0].uri
    http_method = "POST"
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler[0].email
      audience              = google_cloudfunctions2_function.reconcile[0].service_config[0].uri
    }
  }

  depends_on = [
    time_sleep.apis_ready,
    google_cloud_run_service_iam_member.reconcile_scheduler_invoker,
  ]
}

# The sweep's safety window starts here: RECONCILE_SINCE is the moment of the first apply, so
# leads qualified before the deploy are converted only when someone asks for them with an older
# `since`. plantimestamp() makes the value known at plan time; ignore_changes keeps it stable.
resource "time_static" "first_apply" {
  rfc3339 = plantimestamp()

  lifecycle {
    ignore_changes = [rfc3339]
  }
}
