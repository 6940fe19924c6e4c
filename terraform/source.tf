# ---------------------------------------------------------------------------------------------
# Function source archive: built from the repository root, listing what is INCLUDED (so a new
# top-level directory such as tests/, terraform/, bench/ or a virtual environment can never
# slip in): main.py, requirements.txt, handlers/**/*.py and the rules file.
# ---------------------------------------------------------------------------------------------

locals {
  source_handler_files = sort(tolist(fileset(local.root, "handlers/**/*.py")))
  source_files = merge(
    {
      "main.py"          = "main.py"
      "requirements.txt" = "requirements.txt"
    },
    { for f in local.source_handler_files : f => f },
    { (local.rules_archive_name) = var.rules_file },
  )

  # requirements.txt is the hash-pinned lock `make requirements` writes from requirements.in: every
  # package `name==version`, continued by the sha256 of its files, so the build's pip checks each
  # download (docs/dependencies.md). Counted here for the archive's precondition.
  requirements_text      = file("${local.root}/${local.source_files["requirements.txt"]}")
  requirements_pins      = length(regexall("(?m)^[A-Za-z0-9]", local.requirements_text))
  requirements_hash_pins = length(regexall("(?m)^[A-Za-z0-9][A-Za-z0-9._-]*==[^\\n\\\\]*\\\\\\n[ \\t]+--hash=sha256:[0-9a-f]{64}", local.requirements_text))
}

data "archive_file" "source" {
  type        = "zip"
  output_path = "${path.module}/.build/function-source.zip"

  # `source` entries are zipped in sorted order without timestamps or file modes, so the same
  # content gives the same archive hash (hence object name) on every machine.
  dynamic "source" {
    for_each = local.source_files
    content {
      filename = source.key
      content  = file("${local.root}/${source.value}")
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.source_handler_files) > 0 && fileexists("${local.root}/handlers/__init__.py")
      error_message = "handlers/ (a package with __init__.py) was not found next to terraform/: run Terraform from a full checkout of the repository."
    }
    precondition {
      condition     = fileexists("${local.root}/${var.rules_file}")
      error_message = "The rules file given by var.rules_file does not exist (paths are relative to the repository root)."
    }
    precondition {
      condition     = local.requirements_pins > 0 && local.requirements_hash_pins == local.requirements_pins
      error_message = "requirements.txt must pin every package as name==version followed by its --hash lines, so that the build installs only files whose hashes it holds: regenerate it from requirements.in with `make requirements` (docs/dependencies.md)."
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Buckets. The source bucket logs its access to a log bucket; the two log buckets log to each
# other (a bucket must not log to itself, and a third would only move the question). Cloud
# Storage writes usage logs as the Google group cloud-storage-analytics@google.com, which gets
# objectCreator on the log buckets only. Encryption is Google-managed: the buckets hold the
# open-source code, the rules file and access logs, no credentials (see the CKV_GCP_84 note).
# ---------------------------------------------------------------------------------------------

locals {
  source_bucket_name   = "${var.project_id}-${var.name_prefix}-src"
  log_bucket_name      = "${var.project_id}-${var.name_prefix}-logs"
  meta_log_bucket_name = "${var.project_id}-${var.name_prefix}-logs-meta"
}

resource "google_storage_bucket" "source" {
  name                        = local.source_bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "source/"
  }

  # Each code change uploads a new object (hash in the name) and Terraform deletes the old one,
  # which versioning keeps as a noncurrent version: keep those 30 days for forensics/rollback.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_storage_bucket" "access_logs" {
  name                        = local.log_bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  # Versioning protects the logs against overwrite and deletion by anyone but the lifecycle.
  versioning {
    enabled = true
  }

  logging {
    log_bucket        = local.meta_log_bucket_name
    log_object_prefix = "logs/"
  }

  lifecycle_rule {
    condition {
      age = var.access_log_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_storage_bucket" "access_logs_meta" {
  name                        = local.meta_log_bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  # The two log buckets point at each other; access_logs names this one by a plain string (no
  # cycle for Terraform). Cloud Storage does not check that a log bucket exists when logging is
  # configured, and this bucket follows a moment later.
  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "logs-meta/"
  }

  lifecycle_rule {
    condition {
      age = var.access_log_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [time_sleep.apis_ready]
}

# Cloud Storage's usage-log writer. Create-only: it cannot read, overwrite or delete.
resource "google_storage_bucket_iam_member" "access_logs_writer" {
  for_each = {
    logs      = google_storage_bucket.access_logs.name
    logs_meta = google_storage_bucket.access_logs_meta.name
  }

  bucket = each.value
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}

resource "google_storage_bucket_object" "source" {
  # The hash in the name makes every change of code, requirements or rules a new object, which
  # changes build_config.source and so redeploys both functions.
  name         = "function-source-${data.archive_file.source.output_sha256}.zip"
  bucket       = google_storage_bucket.source.name
  source       = data.archive_file.source.output_path
  content_type = "application/zip"
}

# ---------------------------------------------------------------------------------------------
# Artifact Registry repository for the built images. A dedicated repository (instead of the
# auto-created gcf-artifacts) lets the build account write to this repository only, and its
# cleanup policies stop images piling up with every deploy.
# ---------------------------------------------------------------------------------------------

resource "google_artifact_registry_repository" "functions" {
  # checkov:skip=CKV_GCP_84:Google-managed encryption on purpose. The images hold the open-source function code and the rules file (business configuration, no credentials: those stay in Secret Manager and are read at run time). CMEK would add a Cloud KMS key ring that can never be deleted, key cost, and a key-availability failure mode for every deploy, without protecting anything secret.
  location      = var.region
  repository_id = "${var.name_prefix}-functions"
  description   = "Images of the ${var.name_prefix} Cloud Run functions (built by Cloud Build)"
  format        = "DOCKER"

  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-older-than-30d"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [time_sleep.apis_ready]
}
