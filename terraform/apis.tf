locals {
  services = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "apis" {
  for_each = local.services

  service = each.value

  # Explicit since provider v7 (no default any more). Destroying this deployment must not
  # switch APIs off for anything else living in the project.
  disable_on_destroy = false
}

# Enabling an API returns when Service Usage has recorded it, but the API itself can go on
# refusing calls for a while ("SERVICE_DISABLED ... If you enabled this API recently, wait a few
# minutes for the action to propagate"), so a first apply that creates secrets, accounts and
# functions right away fails half-way. Everything that calls an enabled API depends on this
# pause instead of on the services: it costs one minute on the first apply (and again only when
# the list of services changes), never on later applies. If a first apply still fails with
# SERVICE_DISABLED, run `terraform apply` again: nothing is left half-made.
resource "time_sleep" "apis_ready" {
  create_duration = local.api_propagation_wait

  triggers = {
    services = join(",", sort(local.services))
  }

  depends_on = [google_project_service.apis]
}

# Project number: names the bucket Cloud Functions copies the source into (iam.tf).
data "google_project" "this" {
  project_id = var.project_id

  depends_on = [time_sleep.apis_ready]
}
