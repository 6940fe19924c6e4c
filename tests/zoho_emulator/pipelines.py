"""Deal stages and pipelines (zoho-crm-api.md §13.3).

Stages are the options of the Deals `Stage` picklist, org-wide; a pipeline maps a subset of them,
in its own order. So renaming a stage renames it in every pipeline that maps it (and in the
Stage field), keeping its id, while removing a stage from a pipeline only unmaps it there: the
Stage field still offers it, and a conversion into that pipeline with it fails MAPPING_MISMATCH.

A stage or pipeline has a display value (what the UI shows), an actual value (what the API
stores) and a reference value (the untranslated value, the actual one unless set apart); they can
differ, as Zoho's own "Identify Decision Makers" / "Id. Decision Makers" does. Which of them a
convert body's Pipeline and Stage take is UNVERIFIED (zoho-crm-api.md §13.11 item 1, §14.5): the
emulator takes one form only, `faults.picklist_reading` (the actual value by default), so a
client that sends another form that differs from it is refused.

The store keeps one `PipelineBook` and reads and edits it under its lock.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .ids import PIPELINE_IDS

# forecast_type -> forecast_category (zoho-crm-api.md §13.3 sample: "Pipeline" for open stages).
FORECAST_CATEGORIES = {"Open": "Pipeline", "Closed Won": "Closed", "Closed Lost": "Omitted"}


@dataclass
class Stage:
    """One option of the Stage picklist."""

    id: str
    display: str
    actual: str
    probability: int
    forecast_type: str = "Open"  # Open | Closed Won | Closed Lost
    reference: str | None = None  # None: the actual value

    def value(self, form: str) -> str:
        return _form(self, form)


@dataclass
class Pipeline:
    id: str
    display: str
    actual: str
    default: bool
    stage_ids: list[str] = field(default_factory=list)
    reference: str | None = None  # None: the actual value

    def value(self, form: str) -> str:
        return _form(self, form)


def _form(option: Stage | Pipeline, form: str) -> str:
    """One of the option's values: "actual", "display" or "reference" (zoho-crm-api.md §14.5)."""
    if form == "display":
        return option.display
    if form == "reference":
        return option.reference or option.actual
    return option.actual


# (display, actual, probability, forecast_type) of the demo org's stages, in picklist order.
_STAGES = (
    ("Qualification", "Qualification", 10, "Open"),
    ("Needs Analysis", "Needs Analysis", 20, "Open"),
    ("Value Proposition", "Value Proposition", 40, "Open"),
    ("Identify Decision Makers", "Id. Decision Makers", 60, "Open"),
    ("Proposal/Price Quote", "Proposal/Price Quote", 75, "Open"),
    ("Negotiation/Review", "Negotiation/Review", 90, "Open"),
    ("Partner Qualification", "Partner Qualification", 10, "Open"),
    ("Joint Proposal", "Joint Proposal", 50, "Open"),
    ("Partner Negotiation", "Partner Negotiation", 80, "Open"),
    ("Closed Won", "Closed Won", 100, "Closed Won"),
    ("Closed Lost", "Closed Lost", 0, "Closed Lost"),
)
# Pipeline (display = actual) -> the actual values of its stages, in order.
DEFAULT_PIPELINES: dict[str, list[str]] = {
    "Standard (Standard)": [
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ],
    "Partner Pipeline": [
        "Partner Qualification",
        "Joint Proposal",
        "Partner Negotiation",
        "Closed Won",
        "Closed Lost",
    ],
}
STAGE_ID_BASE = 4876876_000_000_093_000


class PipelineBook:
    """The Stage picklist and the pipelines that map it. Not thread-safe: the store locks."""

    def __init__(self) -> None:
        self.stages: dict[str, Stage] = {}
        for number, (display, actual, probability, forecast) in enumerate(_STAGES, start=1):
            stage_id = str(STAGE_ID_BASE + number)
            self.stages[stage_id] = Stage(stage_id, display, actual, probability, forecast)
        by_actual = {stage.actual: stage.id for stage in self.stages.values()}
        self.pipelines = [
            Pipeline(
                PIPELINE_IDS[name], name, name, default=index == 0, stage_ids=[by_actual[s] for s in stages]
            )
            for index, (name, stages) in enumerate(DEFAULT_PIPELINES.items())
        ]

    def copy(self) -> PipelineBook:
        return copy.deepcopy(self)

    def stages_of(self, pipeline: Pipeline) -> list[Stage]:
        return [self.stages[stage_id] for stage_id in pipeline.stage_ids]

    def mapping(self, form: str = "actual") -> dict[str, list[str]]:
        """Pipeline -> its stages, each in one form ("actual", "display" or "reference"): what a
        convert body is checked against (see the module docstring)."""
        return {p.value(form): [stage.value(form) for stage in self.stages_of(p)] for p in self.pipelines}

    def resolve(self, pipeline_value: str, stage_value: str, form: str) -> tuple[Pipeline, Stage] | None:
        """The pipeline and the stage of it that a convert body names in `form`, or None."""
        for pipeline in self.pipelines:
            if pipeline.value(form) == pipeline_value:
                for stage in self.stages_of(pipeline):
                    if stage.value(form) == stage_value:
                        return pipeline, stage
        return None

    def stage_in(self, pipeline_value: str, stage_value: str) -> tuple[Pipeline, Stage]:
        """The pipeline and the stage of it that a seeded deal names, each by display or actual
        value (`CrmStore.add_deal`); ValueError naming the one the book lacks."""
        pipeline = next((p for p in self.pipelines if pipeline_value in (p.display, p.actual)), None)
        if pipeline is None:
            known = [p.display for p in self.pipelines]
            raise ValueError(f"Pipeline: no pipeline {pipeline_value!r}; the pipelines are {known}")
        stages = self.stages_of(pipeline)
        stage = next((s for s in stages if stage_value in (s.display, s.actual)), None)
        if stage is None:
            raise ValueError(f"Stage: pipeline {pipeline.display!r} has no stage {stage_value!r}")
        return pipeline, stage

    # --- edits (the control API's POST /__emulator/pipelines) -------------------------------

    def pipeline(self, name: str) -> Pipeline:
        """A pipeline by display or actual value; KeyError naming the known ones otherwise."""
        for pipeline in self.pipelines:
            if name in _values(pipeline):
                return pipeline
        known = [pipeline.display for pipeline in self.pipelines]
        raise KeyError(f"no pipeline {name!r}; the pipelines are {known}")

    def stage(self, name: str) -> Stage:
        """A stage by display, actual or reference value; KeyError otherwise."""
        for stage in self.stages.values():
            if name in (stage.display, stage.actual, stage.value("reference")):
                return stage
        raise KeyError(f"no stage {name!r}")

    def remove_stage(self, pipeline_name: str, stage_name: str) -> None:
        """Unmap a stage from one pipeline (the Stage picklist keeps it)."""
        pipeline = self.pipeline(pipeline_name)
        stage = self.stage(stage_name)
        if stage.id not in pipeline.stage_ids:
            raise KeyError(f"pipeline {pipeline.display!r} has no stage {stage_name!r}")
        pipeline.stage_ids.remove(stage.id)

    def add_stage(
        self, pipeline_name: str, stage_name: str, actual: str | None = None, reference: str | None = None
    ) -> None:
        """Map an existing stage, or a new one (probability 50) at the end. A new stage's
        display value is `stage_name`, its actual value `actual` (else the same) and its
        reference value `reference` (else the actual one)."""
        pipeline = self.pipeline(pipeline_name)
        try:
            stage = self.stage(stage_name)
        except KeyError:
            values = {stage_name, actual or stage_name, reference or actual or stage_name}
            taken = [other for other in self.stages.values() if values & _values(other)]
            if taken:
                raise ValueError(f"another stage is already called one of {sorted(values)}") from None
            stage_id = str(STAGE_ID_BASE + len(self.stages) + 1)
            stage = Stage(stage_id, stage_name, actual or stage_name, 50, reference=reference)
            self.stages[stage_id] = stage
        if stage.id not in pipeline.stage_ids:
            pipeline.stage_ids.append(stage.id)

    def rename_stage(self, stage_name: str, display: str, actual: str, reference: str | None = None) -> None:
        """Rename a Stage option: every pipeline mapping it shows the new values; the id stays.
        `reference` sets the reference value apart from the actual one."""
        stage = self.stage(stage_name)
        values = {display, actual, reference or actual}
        if any(values & _values(other) for other in self.stages.values() if other is not stage):
            raise ValueError(f"another stage is already called one of {sorted(values)}")
        stage.display, stage.actual, stage.reference = display, actual, reference

    def rename_pipeline(self, name: str, display: str, actual: str, reference: str | None = None) -> None:
        pipeline = self.pipeline(name)
        values = {display, actual, reference or actual}
        if any(values & _values(other) for other in self.pipelines if other is not pipeline):
            raise ValueError(f"another pipeline is already called one of {sorted(values)}")
        pipeline.display, pipeline.actual, pipeline.reference = display, actual, reference

    # --- JSON -------------------------------------------------------------------------------

    def pipelines_json(self) -> list[dict[str, Any]]:
        """`pipeline[]` as Get Pipelines answers it (zoho-crm-api.md §13.3)."""
        return [
            {
                "display_value": pipeline.display,
                "actual_value": pipeline.actual,
                "id": pipeline.id,
                "default": pipeline.default,
                "child_available": False,
                "parent": None,
                "maps": [
                    stage_json(stage, sequence)
                    for sequence, stage in enumerate(self.stages_of(pipeline), start=1)
                ],
            }
            for pipeline in self.pipelines
        ]


def _values(option: Stage | Pipeline) -> set[str]:
    return {option.display, option.actual, option.value("reference")}


def stage_json(stage: Stage, sequence_number: int) -> dict[str, Any]:
    """A stage as a pipeline's `maps[]` lists it."""
    category = FORECAST_CATEGORIES[stage.forecast_type]
    return {
        "display_value": stage.display,
        "actual_value": stage.actual,
        "id": stage.id,
        "sequence_number": sequence_number,
        "forecast_type": stage.forecast_type,
        "forecast_category": {"name": category, "id": _forecast_category_id(category)},
        "colour_code": None,
    }


def _forecast_category_id(name: str) -> str:
    return str(STAGE_ID_BASE + 900 + list(FORECAST_CATEGORIES.values()).index(name))
