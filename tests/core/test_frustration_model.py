"""The learned frustration signal: shipped in the package, reproducible from the repository, bounded."""

from __future__ import annotations

import json
from importlib import resources

from bench.train_frustration_model import development_docs, old_docs, train
from handoff_slack.core.frustration_model import MODEL_FILE, FrustrationModel, features, shipped_model
from handoff_slack.core.phrases import READ_LIMIT


def test_the_model_ships_inside_the_package() -> None:
    shipped = json.loads(resources.files("handoff_slack.core").joinpath(MODEL_FILE).read_text(encoding="utf-8"))
    model = shipped_model()
    assert model == FrustrationModel.from_json(shipped)
    assert 0 < model.named_threshold <= model.threshold < model.strong_threshold < 1 and len(model.weights) > 100


def test_training_again_on_the_same_data_gives_the_shipped_model() -> None:
    # Deterministic and offline: bench/train_frustration_model.py rebuilds the file byte for byte.
    model = shipped_model()
    again = train([*development_docs(), *old_docs()], model.threshold, model.strong_threshold, model.named_threshold)
    assert again.to_json() == model.to_json()


def test_a_huge_message_costs_no_more_features_than_its_prefix() -> None:
    huge = "supercalifragilistic" * 10_000 + " and more words " * 5_000
    assert features([huge]) == features([huge[:READ_LIMIT]])
    assert len(features([huge])) < 1_000


def test_the_reading_names_the_words_that_weighed_most() -> None:
    reading = shipped_model().read(["I have explained this three times now, nobody answers"])
    assert 0 <= reading.probability <= 1
    assert reading.evidence and all(isinstance(word, str) and word for word in reading.evidence)
