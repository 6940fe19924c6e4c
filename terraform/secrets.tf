# Terraform creates the secrets, never their versions: values are added out of band with the
# commands in outputs.secret_value_commands, so no secret value lands in the state or the repo.
# Access is granted per secret and per service account in iam.tf.

resource "google_secret_manager_secret" "value" {
  for_each = local.value_secrets

  secret_id = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  labels    = { purpose = replace(each.key, "_", "-") }

  annotations = {
    description = each.value
  }

  replication {
    dynamic "auto" {
      for_each = length(var.secret_replica_locations) == 0 ? [1] : []
      content {}
    }
    dynamic "user_managed" {
      for_each = length(var.secret_replica_locations) == 0 ? [] : [1]
      content {
        dynamic "replicas" {
          for_each = toset(var.secret_replica_locations)
          content {
            location = replicas.value
          }
        }
      }
    }
  }

  depends_on = [google_project_service.apis]
}

# Shared Zoho access-token cache. Written by the functions themselves: they add a version for
# each new access token (valid 1 h) and disable the superseded ones.
resource "google_secret_manager_secret" "token_cache" {
  count = var.shared_token_cache ? 1 : 0

  secret_id = "${var.name_prefix}-zoho-access-token"
  labels    = { purpose = "zoho-access-token-cache" }

  annotations = {
    description = "Cache of the current Zoho access token, shared by all instances; managed by the functions"
  }

  replication {
    dynamic "auto" {
      for_each = length(var.secret_replica_locations) == 0 ? [1] : []
      content {}
    }
    dynamic "user_managed" {
      for_each = length(var.secret_replica_locations) == 0 ? [] : [1]
      content {
        dynamic "replicas" {
          for_each = toset(var.secret_replica_locations)
          content {
            location = replicas.value
          }
        }
      }
    }
  }

  depends_on = [google_project_service.apis]
}
