"""Run the classifier over the labelled bounce corpus and report the issue's figures.

Run alone with `python -m tests.replies.corpus_eval` (prints misses too); the test in
`test_corpus.py` asserts the targets. The labels are read here and nowhere in product code.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from backlink_outreach.replies.classify import Result, classify
from backlink_outreach.replies.parsing import parse

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "bounces" / "public"


@dataclass
class Figures:
    files: int = 0
    bounce_files: int = 0
    bounce_detected: int = 0
    predicted_bounce: int = 0
    predicted_bounce_correct: int = 0
    hard_rows: int = 0
    hard_agree: int = 0
    recipient_rows: int = 0
    recipient_found: int = 0
    auto_files: int = 0
    auto_detected: int = 0
    errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.bounce_detected / max(1, self.bounce_files)

    @property
    def precision(self) -> float:
        return self.predicted_bounce_correct / max(1, self.predicted_bounce)

    @property
    def hard_agreement(self) -> float:
        return self.hard_agree / max(1, self.hard_rows)

    @property
    def recipient_accuracy(self) -> float:
        return self.recipient_found / max(1, self.recipient_rows)

    def lines(self) -> list[str]:
        return [
            f"files: {self.files}, errors: {len(self.errors)}",
            f"bounce recall: {self.recall:.3f} ({self.bounce_detected}/{self.bounce_files})",
            f"bounce precision: {self.precision:.3f} "
            f"({self.predicted_bounce_correct}/{self.predicted_bounce})",
            f"hard/soft agreement: {self.hard_agreement:.3f} ({self.hard_agree}/{self.hard_rows})",
            f"recipient accuracy: {self.recipient_accuracy:.3f} "
            f"({self.recipient_found}/{self.recipient_rows})",
            f"auto_reply detected as automatic: {self.auto_detected}/{self.auto_files}",
        ]


def load_labels() -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (CORPUS / "labels.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["file"]].append(row)
    return rows


def evaluate() -> Figures:
    figures = Figures()
    for name, rows in sorted(load_labels().items()):
        figures.files += 1
        try:
            result = classify(parse((CORPUS / name).read_bytes()))
        except Exception as exc:  # every failure is a finding to report
            figures.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        _score(figures, name, rows, result)
    return figures


def _score(figures: Figures, name: str, rows: list[dict[str, str]], result: Result) -> None:
    kind = rows[0]["kind"]
    predicted = result.classification == "bounce"
    figures.predicted_bounce += predicted
    if kind == "auto_reply":
        figures.auto_files += 1
        figures.auto_detected += result.automatic
        if not result.automatic:
            figures.misses.append(f"{name}: auto_reply read as {result.classification}")
    if kind != "bounce":
        if predicted:
            figures.misses.append(f"{name}: {kind} read as bounce")
        return
    figures.bounce_files += 1
    figures.predicted_bounce_correct += predicted
    figures.bounce_detected += predicted
    if not predicted:
        figures.misses.append(f"{name}: bounce read as {result.classification} {result.reasons}")
        return
    assert result.bounce is not None
    found = {r.address: r for r in result.bounce.recipients}
    for row in rows:
        line = found.get(row["recipient"].lower()) or result.bounce.for_address(None)
        figures.hard_rows += 1
        if line is None:
            figures.misses.append(f"{name}: no recipient line")
            continue
        hard = bool(line and line.hard)
        if hard == (row["hard"] == "1"):
            figures.hard_agree += 1
        else:
            figures.misses.append(
                f"{name}: hard={row['hard']} ({row['reason']}, {row['status']}) "
                f"but read {'hard' if hard else 'soft'} status={line.status}"
            )
        if row["recipient"]:
            figures.recipient_rows += 1
            if row["recipient"].lower() in found:
                figures.recipient_found += 1
            else:
                figures.misses.append(
                    f"{name}: recipient {row['recipient']} not in {sorted(found)}"
                )


if __name__ == "__main__":
    result = evaluate()
    if "-v" in sys.argv:
        print("\n".join(result.misses + result.errors))
    print("\n".join(result.lines()))
