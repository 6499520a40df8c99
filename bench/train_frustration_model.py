"""Train the shipped frustration model (handoff_slack/core/frustration_model.json), offline and deterministic.

    python -m bench.train_frustration_model            # cross-validate on the development half, then train and write
    python -m bench.train_frustration_model --cv-only  # only the cross-validated figures

Data: the development half of tests/fixtures/escalation_set (frustrated = 1; calm and stuck = 0) and
tests/fixtures/frustration_conversations.yaml (frustrated = 1; plain problems and neutral = 0). The
held-out half is never read here. L2-regularised logistic regression by plain gradient descent, in a fixed
order from zero weights: the same data gives the same file. The threshold is chosen on the cross-validated
(out-of-fold) probabilities of the development half: the lowest one whose false alarms on calm items stay
at or under `MAX_CV_FALSE_ALARMS`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from bench.escalation_eval import load
from handoff_slack.core.frustration_model import MODEL_FILE, FrustrationModel, features

REPO = Path(__file__).resolve().parents[1]
OLD_SET = REPO / "tests" / "fixtures" / "frustration_conversations.yaml"
OUT = REPO / "handoff_slack" / "core" / MODEL_FILE
FOLDS = 5
L2 = 0.02
STEPS = 400
RATE = 0.5
MIN_COUNT = 2  # a feature seen in fewer training documents is dropped
MAX_CV_FALSE_ALARMS = 0.035  # 2 of 58 calm items

Doc = tuple[tuple[str, ...], int, str]  # texts, label, kind ("frustrated", "calm", "stuck", "old")


def development_docs() -> list[Doc]:
    return [
        (tuple(s for s in item.steps if isinstance(s, str)), int(item.label == "frustrated"), item.label)
        for item in load("development")
    ]


def old_docs() -> list[Doc]:
    raw = yaml.safe_load(OLD_SET.read_text(encoding="utf-8"))
    return [(tuple(i["messages"]), int(i["label"] == "frustrated"), "old") for i in raw]


def train(docs: Sequence[Doc], threshold: float = 0.5) -> FrustrationModel:
    vectors = [features(texts) for texts, _, _ in docs]
    counts: dict[str, int] = {}
    for vector in vectors:
        for name in vector:
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, n in counts.items() if n >= MIN_COUNT)
    index = {name: i for i, name in enumerate(kept)}
    rows = [[index[name] for name in sorted(vector) if name in index] for vector in vectors]
    labels = [label for _, label, _ in docs]
    weights = [0.0] * len(kept)
    bias = 0.0
    n = len(docs)
    for _ in range(STEPS):
        gradient = [L2 * w for w in weights]
        bias_gradient = 0.0
        for row, label in zip(rows, labels, strict=True):
            z = bias + sum(weights[j] for j in row)
            error = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) - label
            bias_gradient += error / n
            for j in row:
                gradient[j] += error / n
        weights = [w - RATE * g for w, g in zip(weights, gradient, strict=True)]
        bias -= RATE * bias_gradient
    return FrustrationModel(
        round(bias, 6), {name: round(w, 6) for name, w in zip(kept, weights, strict=True) if abs(w) >= 1e-4}, threshold
    )


def cross_validated(dev: Sequence[Doc], extra: Sequence[Doc]) -> list[float]:
    """Out-of-fold probabilities for the development documents (folds by position within each label)."""
    fold_of: list[int] = []
    seen: dict[str, int] = {}
    for _, _, kind in dev:
        fold_of.append(seen.get(kind, 0) % FOLDS)
        seen[kind] = seen.get(kind, 0) + 1
    probabilities = [0.0] * len(dev)
    for fold in range(FOLDS):
        model = train([d for d, f in zip(dev, fold_of, strict=True) if f != fold] + list(extra))
        for i, (doc, f) in enumerate(zip(dev, fold_of, strict=True)):
            if f == fold:
                probabilities[i] = model.read(doc[0]).probability
    return probabilities


def figures(dev: Sequence[Doc], probabilities: Sequence[float], threshold: float) -> tuple[float, float, float]:
    def share(kind: str) -> float:
        chosen = [p for (_, _, k), p in zip(dev, probabilities, strict=True) if k == kind]
        return sum(p >= threshold for p in chosen) / len(chosen)

    return share("frustrated"), share("calm"), share("stuck")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv-only", action="store_true")
    args = parser.parse_args(argv)
    dev, extra = development_docs(), old_docs()
    probabilities = cross_validated(dev, extra)
    print(f"{FOLDS}-fold cross-validation on the development half (model alone; recall, calm flagged, stuck flagged):")
    chosen = None
    for step in range(30, 96, 5):
        threshold = step / 100
        recall, calm, stuck = figures(dev, probabilities, threshold)
        print(f"  threshold {threshold:.2f}: recall {recall:.2f}  calm {calm:.2f}  stuck {stuck:.2f}")
        if chosen is None and calm <= MAX_CV_FALSE_ALARMS:
            chosen = threshold
    chosen = chosen or 0.95
    print(f"chosen threshold {chosen:.2f}")
    if args.cv_only:
        return 0
    model = train([*dev, *extra], chosen)
    OUT.write_text(json.dumps(model.to_json(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}: {len(model.weights)} weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
