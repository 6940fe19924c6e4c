# ---------------------------------------------------------------------------------------------
# Dashboard on the log lines the functions write (one JSON line per webhook request, one summary
# line per sweep): conversions by outcome and by rule, what each sweep converted, failed and
# left over, and how long the webhook takes. tests/test_terraform_offline.py holds every metric
# and label the dashboard names against the metrics below and in monitoring.tf.
# ---------------------------------------------------------------------------------------------

locals {
  # Distribution metrics of values in the sweep's summary line (outcome "reconciled"); `failed`
  # lists the failed leads, `failed_count` counts them (handlers/sweep/run.py SweepSummary.as_dict).
  sweep_figures = var.enable_reconcile ? {
    converted = { extractor = "EXTRACT(jsonPayload.converted)", what = "Leads the sweep converted" }
    failed    = { extractor = "EXTRACT(jsonPayload.failed_count)", what = "Leads the sweep failed to convert" }
    remaining = { extractor = "EXTRACT(jsonPayload.remaining)", what = "Qualifying leads the sweep left for its next run (time budget)" }
  } : {}

  dashboard_metric = {
    outcomes = "logging.googleapis.com/user/${google_logging_metric.outcomes.name}"
    duration = "logging.googleapis.com/user/${google_logging_metric.webhook_duration.name}"
    sweep    = { for k, m in google_logging_metric.sweep : k => "logging.googleapis.com/user/${m.name}" }
  }
  on_cloud_run = "resource.type=\"cloud_run_revision\""
  webhook_only = "${local.on_cloud_run} AND resource.labels.service_name=\"${local.webhook_name}\""

  dashboard_tiles = concat(
    [
      {
        title = "Webhook and sweep outcomes (per 5 min)"
        sets = [{
          filter   = "metric.type=\"${local.dashboard_metric.outcomes}\" AND ${local.on_cloud_run}"
          aligner  = "ALIGN_SUM"
          reducer  = "REDUCE_SUM"
          group_by = ["metric.labels.outcome"]
          legend   = "$${metric.labels.outcome}"
        }]
      },
      {
        title = "Leads converted by the webhook, per rule (per 5 min)"
        sets = [{
          filter   = "metric.type=\"${local.dashboard_metric.outcomes}\" AND ${local.webhook_only} AND metric.labels.outcome=\"converted\""
          aligner  = "ALIGN_SUM"
          reducer  = "REDUCE_SUM"
          group_by = ["metric.labels.rule"]
          legend   = "$${metric.labels.rule}"
        }]
      },
      {
        title = "Webhook duration measured by the function (ms)"
        sets = [for p in ["50", "95", "99"] : {
          filter   = "metric.type=\"${local.dashboard_metric.duration}\" AND ${local.webhook_only}"
          aligner  = "ALIGN_DELTA"
          reducer  = "REDUCE_PERCENTILE_${p}"
          group_by = []
          legend   = "p${p}"
        }]
      },
      {
        title = "Webhook request latency at Cloud Run, cold starts included (ms)"
        sets = [for p in ["50", "95", "99"] : {
          filter   = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.webhook_only}"
          aligner  = "ALIGN_DELTA"
          reducer  = "REDUCE_PERCENTILE_${p}"
          group_by = []
          legend   = "p${p}"
        }]
      },
    ],
    var.enable_reconcile ? [
      {
        title = "Sweep results (leads per sweep)"
        sets = [for k, metric in local.dashboard_metric.sweep : {
          filter   = "metric.type=\"${metric}\" AND ${local.on_cloud_run} AND resource.labels.service_name=\"${local.reconcile_name}\""
          aligner  = "ALIGN_MEAN"
          reducer  = "REDUCE_MEAN"
          group_by = []
          legend   = k
        }]
      },
    ] : [],
  )
}

resource "google_logging_metric" "webhook_duration" {
  name        = "${var.name_prefix}-webhook-duration"
  description = "Time the webhook function took for one request (duration_ms of its log line)"
  filter      = <<-EOT
    ${local.on_cloud_run}
    resource.labels.service_name="${local.webhook_name}"
    jsonPayload.outcome:*
    jsonPayload.duration_ms:*
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "${var.name_prefix} webhook duration"
  }

  value_extractor = "EXTRACT(jsonPayload.duration_ms)"

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 1
    }
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_logging_metric" "sweep" {
  for_each = local.sweep_figures

  name        = "${var.name_prefix}-sweep-${each.key}"
  description = "${each.value.what}, per sweep summary line"
  filter      = <<-EOT
    ${local.on_cloud_run}
    resource.labels.service_name="${local.reconcile_name}"
    jsonPayload.outcome="reconciled"
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "${var.name_prefix} sweep ${each.key}"
  }

  value_extractor = each.value.extractor

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 1
    }
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_monitoring_dashboard" "main" {
  dashboard_json = jsonencode({
    displayName = "${var.name_prefix} lead conversions"
    mosaicLayout = {
      columns = 48
      tiles = [
        for i, tile in local.dashboard_tiles : {
          xPos   = (i % 2) * 24
          yPos   = floor(i / 2) * 16
          width  = 24
          height = 16
          widget = {
            title = tile.title
            xyChart = {
              dataSets = [
                for set in tile.sets : {
                  plotType           = "LINE"
                  legendTemplate     = set.legend
                  minAlignmentPeriod = "60s"
                  timeSeriesQuery = {
                    timeSeriesFilter = {
                      filter = set.filter
                      aggregation = {
                        alignmentPeriod    = "300s"
                        perSeriesAligner   = set.aligner
                        crossSeriesReducer = set.reducer
                        groupByFields      = set.group_by
                      }
                    }
                  }
                }
              ]
            }
          }
        }
      ]
    }
  })

  depends_on = [time_sleep.outcomes_metric_propagation]
}
