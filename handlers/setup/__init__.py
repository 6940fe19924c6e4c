"""The Zoho side as code: the webhook and the workflow rule that call the function, built from the
rules file, compared with the org's, and created, repaired or removed (connect, verify,
disconnect)."""
