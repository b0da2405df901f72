"""Property: the generated pandas code reproduces the pandas engine, for every step."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from nbdash.transform import Pipeline
from transform_strategies import ALL_KINDS, random_cases

# NBDASH_PROPERTY_EXAMPLES raises the count for a one-off long run.
EXAMPLES = int(os.environ.get("NBDASH_PROPERTY_EXAMPLES", "100"))
Case = tuple[pd.DataFrame, Pipeline, dict[str, pd.DataFrame]]


def run_code(
    pipe: Pipeline, frame: pd.DataFrame, others: dict[str, pd.DataFrame]
) -> Any:
    namespace: dict[str, Any] = {"pd": pd, "df": frame.copy(), "datasets": others}
    exec(pipe.to_code(), namespace)
    return namespace["df"]


def check_case(case: Case) -> None:
    frame, pipe, others = case
    before = frame.copy()

    engine = pipe.run_frame(frame, others=others)
    code = run_code(pipe, frame, others)

    assert_frame_equal(code, engine)
    assert_frame_equal(frame, before)
    assert Pipeline.from_json(pipe.to_json()) == pipe


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(random_cases())
def test_generated_code_equals_engine_for_any_pipeline(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize("kind", [k for k in ALL_KINDS if k != "append"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_code_equals_engine_for_each_kind(kind: str, data: Any) -> None:
    check_case(data.draw(random_cases(choices=[kind, "append"], max_steps=2)))
