terraform {
  # 1.5: strcontains() in validations; startswith() (1.3) and data-source preconditions (1.2).
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # v7 made service_config.service output-only and dropped the disable_on_destroy default
      # (both handled here); v8 changes nothing this configuration uses.
      version = ">= 7.0, < 9.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9, < 1.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = local.labels
}
