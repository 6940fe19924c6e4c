"""Zoho CRM as the product uses it: the HTTP client and its access tokens, the lead as Zoho
returns it, the org's metadata, and the OAuth scope each call needs.
"""
