"""Train the shipped frustration model (handoff_slack/core/frustration_model.json), offline and deterministic.

    python -m bench.train_frustration_model            # cross-validate, then train on everything and write
    python -m bench.train_frustration_model --cv-only  # only the cross-validated figures

Data: the development sets of tests/fixtures/escalation_set (the development half of issue 20's set and
the four writers of development_more/; frustrated = 1, calm and stuck = 0) and
tests/fixtures/frustration_conversations.yaml (frustrated = 1; plain problems and neutral = 0). The
held-out half and the confirmation set are never read here.

Cross-validation leaves one writer out at a time (the first writer's development half with the older
items is one group), so the figures say how the model does on a writer it has not seen. The thresholds
are chosen on those out-of-fold probabilities: `threshold` (a second opinion) the lowest at which at most
`MAX_CV_FALSE_ALARMS` of calm items reach it, `strong_threshold` (enough alone) the lowest at which at most
`MAX_CV_STRONG_FALSE_ALARMS` do.

L2-regularised logistic regression by plain gradient descent, in a fixed order from zero weights: the
same data gives the same file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import yaml

from bench.escalation_eval import MORE_DEVELOPMENT, Item, evaluate, load, load_file, more_writers, report
from handoff_slack.core.frustration import FrustrationDetector, learned_features
from handoff_slack.core.frustration_model import MODEL_FILE, FrustrationModel
from handoff_slack.core.stuck import StuckDetector

REPO = Path(__file__).resolve().parents[1]
OLD_SET = REPO / "tests" / "fixtures" / "frustration_conversations.yaml"
OUT = REPO / "handoff_slack" / "core" / MODEL_FILE
L2 = 0.01
STEPS = 300
RATE = 1.0
MIN_COUNT = 2  # a feature seen in fewer training documents is dropped
MAX_CV_FALSE_ALARMS = 0.06
MAX_CV_STRONG_FALSE_ALARMS = 0.02
FIRST_WRITER = "first"  # issue 20's writer (development half) with the older labelled set


class Doc(NamedTuple):
    texts: tuple[str, ...]  # what the customer typed, in order
    label: int  # 1 frustrated, 0 not
    kind: str  # "frustrated", "calm", "stuck" or "old" (the older set)
    writer: str


def _doc(texts: Sequence[str], label: str, kind: str, writer: str) -> Doc:
    return Doc(tuple(texts), int(label == "frustrated"), kind, writer)


def development_items() -> dict[str, list[Item]]:
    """Every development set's conversations, by writer."""
    items = {FIRST_WRITER: load("development")}
    for writer in more_writers():
        items[writer] = load_file(MORE_DEVELOPMENT / f"{writer}.yaml")
    return items


def development_docs() -> list[Doc]:
    """Every development set's conversations, each as the customer's texts."""
    return [
        _doc([s for s in item.steps if isinstance(s, str)], item.label, item.label, writer)
        for writer, items in development_items().items()
        for item in items
    ]


def old_docs() -> list[Doc]:
    raw = yaml.safe_load(OLD_SET.read_text(encoding="utf-8"))
    return [_doc(i["messages"], i["label"], "old", FIRST_WRITER) for i in raw]


def train(docs: Sequence[Doc], threshold: float = 0.5, strong_threshold: float = 1.0) -> FrustrationModel:
    vectors = [doc_features(doc) for doc in docs]
    counts: dict[str, int] = {}
    for vector in vectors:
        for name in vector:
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, n in counts.items() if n >= MIN_COUNT)
    index = {name: i for i, name in enumerate(kept)}
    rows = [[index[name] for name in sorted(vector) if name in index] for vector in vectors]
    columns: list[list[int]] = [[] for _ in kept]  # the documents each feature is in
    for d, row in enumerate(rows):
        for j in row:
            columns[j].append(d)
    labels = [doc.label for doc in docs]
    weights = [0.0] * len(kept)
    bias = 0.0
    n = len(docs)
    for _ in range(STEPS):
        errors = []
        for row, label in zip(rows, labels, strict=True):
            z = bias + sum(map(weights.__getitem__, row))
            errors.append((1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) - label) / n)
        weights = [
            w - RATE * (L2 * w + sum(map(errors.__getitem__, column)))
            for w, column in zip(weights, columns, strict=True)
        ]
        bias -= RATE * sum(errors)
    return FrustrationModel(
        round(bias, 6),
        {name: round(w, 6) for name, w in zip(kept, weights, strict=True) if abs(w) >= 1e-4},
        threshold,
        strong_threshold,
    )


def doc_features(doc: Doc) -> dict[str, None]:
    """A conversation's features: each of its messages' (core.frustration.learned_features), once each."""
    return dict.fromkeys(name for text in doc.texts for name in learned_features(text))


def cross_validated(docs: Sequence[Doc]) -> dict[str, FrustrationModel]:
    """One model per writer, trained on every other writer's documents."""
    return {writer: train([d for d in docs if d.writer != writer]) for writer in sorted({d.writer for d in docs})}


def out_of_fold(docs: Sequence[Doc], models: dict[str, FrustrationModel]) -> list[float]:
    return [models[doc.writer].probability_of([learned_features(text) for text in doc.texts]) for doc in docs]


def share(docs: Sequence[Doc], probabilities: Sequence[float], kind: str, threshold: float) -> float:
    chosen = [p for doc, p in zip(docs, probabilities, strict=True) if doc.kind == kind]
    return sum(p >= threshold for p in chosen) / len(chosen) if chosen else 0.0


def lowest_threshold(docs: Sequence[Doc], probabilities: Sequence[float], max_false_alarms: float) -> float:
    for step in range(20, 100):
        if share(docs, probabilities, "calm", step / 100) <= max_false_alarms:
            return step / 100
    return 1.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument(
        "--detector", action="store_true", help="also each writer's figures of the whole detector with its fold's model"
    )
    args = parser.parse_args(argv)
    docs = development_docs() + old_docs()
    models = cross_validated(docs)
    probabilities = out_of_fold(docs, models)
    print("leave-one-writer-out cross-validation (model alone; recall, calm flagged, stuck flagged):")
    for step in range(30, 96, 5):
        t = step / 100
        print(
            f"  threshold {t:.2f}: recall {share(docs, probabilities, 'frustrated', t):.2f}  "
            f"calm {share(docs, probabilities, 'calm', t):.2f}  stuck {share(docs, probabilities, 'stuck', t):.2f}"
        )
    threshold = lowest_threshold(docs, probabilities, MAX_CV_FALSE_ALARMS)
    strong = lowest_threshold(docs, probabilities, MAX_CV_STRONG_FALSE_ALARMS)
    print(f"chosen thresholds: {threshold:.2f} (second opinion), {strong:.2f} (alone)")
    if args.detector:
        print("the whole detector on each writer, with the model trained without that writer:")
        for writer, items in development_items().items():
            model = models[writer]
            fold = FrustrationModel(model.bias, model.weights, threshold, strong)
            figures = evaluate(items, FrustrationDetector(model=fold), StuckDetector(), name_items=True)
            print(report(writer, figures, verbose=True))
    if args.cv_only:
        return 0
    model = train(docs, threshold, strong)
    OUT.write_text(json.dumps(model.to_json(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}: {len(model.weights)} weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
