"""All logic of the Zoho lead converter; main.py only imports from here."""
