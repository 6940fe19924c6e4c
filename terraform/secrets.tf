# Terraform creates the secrets, never their versions: values are added out of band with the
# commands of the add_*_command outputs, so no secret value lands in the state or the repo.
# Access is granted per secret and per service account in iam.tf.
#
# Deleting a secret deletes every version of it at once (no soft delete): the refresh token
# would have to be minted again in the Zoho console and the webhook secret re-entered in Zoho.
# So the credential secrets carry deletion_protection (google provider 6.43+, inside the
# ">= 7.0" range of versions.tf): an apply or destroy that would delete one - `terraform
# destroy`, or the replacement a change of secret_replica_locations forces - fails until
# force_destroy_secrets is set true and applied. The token cache and its claims are left
# unprotected on purpose: they hold a one-hour access token the functions recreate (and nothing
# at all), and turning shared_token_cache off must remove them.

resource "google_secret_manager_secret" "value" {
  for_each = local.value_secrets

  secret_id = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  labels    = { purpose = replace(each.key, "_", "-") }

  deletion_protection = !var.force_destroy_secrets

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

  depends_on = [time_sleep.apis_ready]
}

# Shared Zoho access-token cache. Written by the functions themselves: they add a version for
# each new access token (valid 1 h); the pruner (the sweep, or the webhook when there is no
# sweep) destroys the superseded ones.
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

  depends_on = [time_sleep.apis_ready]
}

# Refresh claims of the token cache: each instance about to refresh the token adds a version
# here, and the lowest version of the last 15 s wins (handlers/zoho/access_token.py). The versions
# hold no value worth reading (the text "refresh claim"); the functions cannot read them. The
# code finds this secret by the cache's name followed by "-claims".
resource "google_secret_manager_secret" "token_claims" {
  count = var.shared_token_cache ? 1 : 0

  secret_id = "${google_secret_manager_secret.token_cache[0].secret_id}-claims"
  labels    = { purpose = "zoho-access-token-claims" }

  annotations = {
    description = "Which instance refreshes the shared Zoho access token; versions added and destroyed by the functions"
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

  depends_on = [time_sleep.apis_ready]
}

# Data Access audit logs (DATA_READ) for Secret Manager: one entry per AccessSecretVersion call,
# naming the caller, so a credential read by anyone other than the functions' accounts shows up.
# Admin Activity logs (AddSecretVersion, SetIamPolicy, DeleteSecret, ...) are always on; ADMIN_READ
# (GetSecret, ListSecretVersions) is left off: it would mostly log the functions' own token-cache
# upkeep. Audit config exists per service, not per secret, so this covers every secret of the
# project; and the resource is authoritative for that service's audit config in this project
# (hence var.secret_access_audit_logs, for projects that manage audit config centrally).
resource "google_project_iam_audit_config" "secret_manager" {
  count = var.secret_access_audit_logs ? 1 : 0

  project = var.project_id
  service = "secretmanager.googleapis.com"

  audit_log_config {
    log_type = "DATA_READ"
  }

  depends_on = [time_sleep.apis_ready]
}
