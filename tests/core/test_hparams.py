"""Hyperparameter ranges are declared once and every entry point refuses bad values in words."""

import pytest

from aetui.core.errors import AetuiError
from aetui.core.hparams import HPARAMS, parse_assignments

TUNES = ("beta", "p", "lam", "weight_decay", "learning_rate")


@pytest.mark.parametrize("item, fragment", [
    ("p=1", "out of range (valid: 0 < p < 1)"),
    ("p=0", "out of range"),
    ("p=-0.1", "out of range"),
    ("beta=-1", "out of range (valid: 0 <= beta)"),
    ("beta=nan", "must be finite"),
    ("lam=inf", "must be finite"),
    ("beta=three", "must be a number"),
    ("learning_rate=0", "out of range"),
    ("gamma=1", "unknown hyperparameter 'gamma'"),
    ("beta", "write it as key=value"),
    ("=3", "write it as key=value"),
])
def test_bad_values_are_refused_with_the_reason(item, fragment):
    with pytest.raises(AetuiError, match=None) as err:
        parse_assignments([item], TUNES)
    assert fragment in str(err.value)


def test_a_value_the_model_does_not_tune_is_refused():
    with pytest.raises(AetuiError, match="this model tunes: learning_rate"):
        parse_assignments(["beta=1"], ("learning_rate",))


def test_good_values_parse():
    assert parse_assignments(["beta=3", "p=0.01", "lam=1e-7"], TUNES) == {"beta": 3.0, "p": 0.01, "lam": 1e-7}


def test_slider_spans_are_valid_values():
    for spec in HPARAMS.values():
        for end in spec.slider:
            spec.check(end)
