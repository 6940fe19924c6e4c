"""What the function runs on: its settings, its secrets (Secret Manager), bounded HTTP, the
request's deadline and the log line. Nothing here knows Zoho's records or the rules.
"""
