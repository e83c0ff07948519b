"""Experiments (`/admin/experiments`): A/B tests of ranking variants (`core.experiments`);
merchandiser or admin keys; every write is audited by the middleware under the caller's key
name, durable before the answer, and applied by every API process within
`core.documents.POLL_S`. Results per variant against the control
(`core.experiment_results`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import require_role
from core.experiment_results import TEST, SampleRatio, VariantResult, results
from core.experiments import Experiment, ExperimentIn, ExperimentList, ExperimentStore

router = APIRouter(prefix="/admin/experiments", tags=["experiments"])
Staff = Annotated[Principal, Depends(require_role("merchandiser", "admin"))]
ExperimentId = Annotated[int, Path(ge=1, le=2**53)]


def _store(request: Request) -> ExperimentStore:
    store: ExperimentStore = request.app.state.experiments
    return store


Store = Annotated[ExperimentStore, Depends(_store)]


class ResultsOut(BaseModel):
    experiment: Experiment
    variants: list[VariantResult] = Field(
        description="per visitor: click_through, add_to_cart and conversion (the share of "
        "visitors who did it at least once), revenue_per_visitor, each a mean with its 95% "
        "interval; versus_control: each variant's mean minus the control's (and relative to "
        "the control's mean), with the 95% interval and the p-value of Welch's t-test"
    )
    sample_ratio: SampleRatio = Field(description="flagged: the split is broken")
    verdict: str = Field(description="one line on conversion, the primary metric")
    test: str = Field(TEST, description="how the numbers are computed")


@router.get("", response_model=ExperimentList)
def list_experiments(_: Staff, store: Store) -> ExperimentList:
    """Every experiment, oldest first, with its status now (scheduled, running, ended,
    stopped)."""
    return ExperimentList(experiments=store.all())


@router.post("", response_model=Experiment, status_code=201)
def create_experiment(body: ExperimentIn, who: Staff, store: Store) -> Experiment:
    """A new experiment: 2-4 variants whose shares sum to 1, each a settings overlay from the
    whitelist (anything else is a 422 naming the field); refused (422) if another covers one
    of its surfaces at an overlapping time. The first variant is the control."""
    return store.start(body, who.key_name)


@router.get("/{experiment_id}", response_model=Experiment)
def get_experiment(experiment_id: ExperimentId, _: Staff, store: Store) -> Experiment:
    return store.get(experiment_id)


@router.post("/{experiment_id}/stop", response_model=Experiment)
def stop_experiment(experiment_id: ExperimentId, who: Staff, store: Store) -> Experiment:
    """Stop it now: every visitor is back on the shop's settings; the results are kept."""
    return store.stop(experiment_id, who.key_name)


@router.get("/{experiment_id}/results", response_model=ResultsOut)
def get_results(
    request: Request, experiment_id: ExperimentId, _: Staff, store: Store
) -> ResultsOut:
    """Per variant: visitors, lists, click-through, add-to-cart, conversion and revenue per
    visitor with 95% intervals; each variant against the control (difference, interval,
    p-value); the sample-ratio check; a verdict line."""
    experiment = store.get(experiment_id)
    found = results(request.app.state.attribution.log.db, experiment)
    return ResultsOut(
        experiment=experiment,
        variants=found.variants,
        sample_ratio=found.sample_ratio,
        verdict=found.verdict,
    )
