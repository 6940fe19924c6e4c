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

# Project number: names the bucket Cloud Functions copies the source into (iam.tf).
data "google_project" "this" {
  project_id = var.project_id

  depends_on = [google_project_service.apis]
}
