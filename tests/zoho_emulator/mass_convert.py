"""Mass Convert jobs: scheduled now, converted one lead at a time on a background thread.

A job takes `faults.mass_convert_seconds` in all. Leads listed in `faults.mass_convert_fail_ids`,
leads already converted and leads whose conversion Zoho would refuse count as failed and stay
unconverted. A job where every lead failed ends "failed", any other "completed".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .conversion import ConvertRequest
from .crm import CrmStore
from .faults import Faults
from .protocol import ApiError, FieldError


@dataclass
class Job:
    lead_ids: list[str]
    conversion: ConvertRequest
    status: str = "scheduled"
    converted: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, Any]:
        total = len(self.lead_ids)
        return {
            "Status": self.status,
            "Total_Count": total,
            "Converted_Count": self.converted,
            "Not_Converted_Count": total - self.converted - self.failed,
            "Failed_Count": self.failed,
        }


class MassConvertJobs:
    def __init__(self, crm: CrmStore, faults: Faults, stopping: threading.Event) -> None:
        self._crm = crm
        self._faults = faults
        self._stopping = stopping
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def submit(self, lead_ids: list[str], conversion: ConvertRequest) -> str:
        job_id = self._crm.new_id("jobs")
        job = Job(lead_ids, conversion)
        with self._lock:
            self._jobs[job_id] = job
        worker = threading.Thread(target=self._run, args=(job,), name=f"mass-convert-{job_id}", daemon=True)
        worker.start()
        return job_id

    def status(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.as_json() if job else None

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()

    def _run(self, job: Job) -> None:
        step = self._faults.mass_convert_seconds / (len(job.lead_ids) + 1)
        if self._stopping.wait(step):
            return
        self._update(job, status="in progress")
        for lead_id in job.lead_ids:
            if self._stopping.wait(step):
                return
            converted = self._convert(lead_id, job.conversion)
            with self._lock:
                if converted:
                    job.converted += 1
                else:
                    job.failed += 1
        self._update(job, status="failed" if job.converted == 0 else "completed")

    def _convert(self, lead_id: str, conversion: ConvertRequest) -> bool:
        if lead_id in self._faults.mass_convert_fail_ids:
            return False
        try:
            # A lead in a wait state (zoho-crm-api.md §14.1) fails here, as any refusal does.
            self._crm.convert(lead_id, conversion, picklists=self._faults.picklist_reading)
        except (ApiError, FieldError):
            return False
        return True

    def _update(self, job: Job, status: str) -> None:
        with self._lock:
            job.status = status
