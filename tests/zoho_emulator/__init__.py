"""A stateful Zoho CRM emulator for tests, the demo and benchmarks (standard library only).

from tests.zoho_emulator import Credentials, ZohoEmulator

with ZohoEmulator(credentials=Credentials("id", "secret", "refresh")) as emu:
    lead_id = emu.crm.add_lead(Last_Name="Doe", Company="Acme")
    ...  # point a client at emu.url (accounts server and API domain)
"""

from .emulator import ZohoEmulator
from .journal import JournalEntry
from .tokens import Credentials

__all__ = ["Credentials", "JournalEntry", "ZohoEmulator"]
