"""The /__emulator/ control endpoints: set up state and faults from another process (no auth)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .protocol import Request, Response

if TYPE_CHECKING:
    from .emulator import ZohoEmulator

SETTINGS = (
    "latency",
    "concurrency_limit",
    "token_throttle",
    "token_throttle_status",
    "token_down",
    "mass_convert_seconds",
    "coql_offset_ceiling",
)
# Fault methods, called with the JSON object as keyword arguments (a `body` string is UTF-8 encoded).
SCRIPTED = (
    "fail_next",
    "fail_fraction",
    "reset_next",
    "hang_next",
    "malformed_next",
    "schedule_next_convert",
    "trickle_next",
)


class ControlEndpoints:
    def __init__(self, emulator: ZohoEmulator) -> None:
        self._emulator = emulator

    def __call__(self, request: Request) -> Response:
        route = (request.method, request.path.removeprefix("/__emulator/").rstrip("/"))
        try:
            return self._dispatch(route, request)
        except (TypeError, ValueError) as problem:
            return Response.json(400, {"error": str(problem)})

    def _dispatch(self, route: tuple[str, str], request: Request) -> Response:
        emulator = self._emulator
        match route:
            case ("POST", "leads"):
                body = request.json()
                if isinstance(body, list):
                    return self._add_leads(body)
                fields = _json_object(request)
                return Response.json(201, {"id": emulator.crm.add_lead(**fields)})
            case ("GET", path) if lead := re.fullmatch(r"leads/(\d+)", path):
                try:
                    return Response.json(200, emulator.crm.lead(lead[1]))
                except KeyError:
                    return Response.json(404, {"error": "no such lead"})
            case ("GET", "state"):
                state = {**emulator.crm.counts(), "token_requests": emulator.token_requests}
                return Response.json(200, state)
            case ("GET", "journal"):
                return Response.json(200, [entry.as_json() for entry in emulator.journal])
            case ("POST", "faults"):
                self._set_faults(_json_object(request))
                return Response.json(200, {"ok": True})
            case ("POST", "reset"):
                emulator.reset()
                return Response.json(200, {"ok": True})
        return Response.json(404, {"error": f"no control endpoint {route[0]} {request.path}"})

    def _add_leads(self, leads: list[Any]) -> Response:
        """A JSON array of leads: ids in the order given.

        The store has no bulk add, so this is a loop of `add_lead` (each takes the store's lock
        once). Every element is checked to be an object before any lead is created; a lead the
        store refuses stops the loop, and the answer (400) names its index and lists the ids of
        the leads created before it.
        """
        for index, fields in enumerate(leads):
            if not isinstance(fields, dict):
                raise ValueError(f"leads[{index}]: expected a JSON object")
        add_lead = self._emulator.crm.add_lead
        ids: list[str] = []
        for index, fields in enumerate(leads):
            try:
                ids.append(add_lead(**fields))
            except (TypeError, ValueError) as problem:
                return Response.json(400, {"error": f"leads[{index}]: {problem}", "ids": ids})
        return Response.json(201, {"ids": ids})

    def _set_faults(self, settings: dict[str, Any]) -> None:
        faults = self._emulator.faults
        unknown = set(settings) - {
            *SETTINGS,
            *SCRIPTED,
            "mass_convert_fail_ids",
            "hidden_fields",
            "revoke_tokens",
            "clear",
        }
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        if settings.get("clear"):
            faults.clear()
        for name in SETTINGS:
            if name in settings:
                setattr(faults, name, settings[name])
        if "mass_convert_fail_ids" in settings:
            faults.mass_convert_fail_ids = set(settings["mass_convert_fail_ids"])
        if "hidden_fields" in settings:
            faults.hidden_fields = set(settings["hidden_fields"])
        for name in SCRIPTED:
            if name in settings:
                arguments = dict(settings[name])
                if isinstance(arguments.get("body"), str):
                    arguments["body"] = arguments["body"].encode()
                getattr(faults, name)(**arguments)
        if settings.get("revoke_tokens"):
            faults.revoke_tokens()


def _json_object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body
