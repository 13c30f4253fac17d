"""Run the classifier over the labelled bounce corpus and report the issue's figures.

`make eval` (or `python -m tests.replies.corpus_eval`) prints the figures and the confusion
tables (class, hard/soft, recipient), `-v` the misses too; the test in `test_corpus.py` asserts
the targets. The labels are read here and nowhere in product code. Without the corpus (a fresh
clone has no `../shared`) it says so and exits 0.

The labels are sisimai's, and sisimai calls a delay warning (`Action: delayed`) a bounce; the
API says a delay changes nothing, so those files are counted apart ("delays") and left out of
the recall, which is printed both ways.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
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
    delays: int = 0  # labelled bounces that are delay warnings, read as such
    classes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, read)
    hardness: Counter[tuple[str, str]] = field(default_factory=Counter)
    recipients: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Of the labelled bounces that are final failures (delays left out)."""
        return self.bounce_detected / max(1, self.bounce_files - self.delays)

    @property
    def raw_recall(self) -> float:
        """Of every labelled bounce, delay warnings included (sisimai's view)."""
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
            f"bounce recall: {self.recall:.3f} ({self.bounce_detected}/"
            f"{self.bounce_files - self.delays}; {self.delays} delay warnings left out, "
            f"{self.raw_recall:.3f} with them)",
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
    delay = result.bounce is not None and result.bounce.kind == "delay"
    if not (kind == "bounce" and delay and not predicted):
        figures.classes[(kind, result.classification)] += 1
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
    if not predicted and result.bounce is not None and result.bounce.kind == "delay":
        figures.delays += 1
        figures.classes[("bounce (delay)", result.classification)] += 1
        return
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
        label = "hard" if row["hard"] == "1" else "soft"
        figures.hardness[(label, "hard" if hard else "soft")] += 1
        if hard == (row["hard"] == "1"):
            figures.hard_agree += 1
        else:
            figures.misses.append(
                f"{name}: hard={row['hard']} ({row['reason']}, {row['status']}) "
                f"but read {'hard' if hard else 'soft'} status={line.status}"
            )
        if not row["recipient"]:
            figures.recipients["label names none"] += 1
        if row["recipient"]:
            figures.recipient_rows += 1
            if row["recipient"].lower() in found:
                figures.recipient_found += 1
                figures.recipients["found"] += 1
            else:
                figures.recipients["not found" if found else "none read"] += 1
                figures.misses.append(
                    f"{name}: recipient {row['recipient']} not in {sorted(found)}"
                )


def tables(figures: Figures) -> list[str]:
    """The confusion tables: what each label was read as."""
    out = ["", "class (label -> read as):"]
    reads = sorted({read for _, read in figures.classes})
    labels = sorted({label for label, _ in figures.classes})
    out.append(f"  {'':16}" + "".join(f"{r[:12]:>13}" for r in reads))
    for label in labels:
        row = "".join(f"{figures.classes[(label, r)] or '.':>13}" for r in reads)
        out.append(f"  {label[:16]:16}{row}")
    out += ["", "hard/soft (label -> read as, per recipient row):"]
    out.append(f"  {'':16}{'hard':>8}{'soft':>8}")
    for label in ("hard", "soft"):
        row = "".join(f"{figures.hardness[(label, r)]:>8}" for r in ("hard", "soft"))
        out.append(f"  {label:16}{row}")
    out += ["", "recipient (per labelled bounce row):"]
    for key in ("found", "not found", "none read", "label names none"):
        out.append(f"  {key:16}{figures.recipients[key]:>8}")
    return out


def main(argv: list[str]) -> int:
    if not (CORPUS / "labels.csv").exists():
        print(f"bounce corpus not found at {CORPUS}: nothing to evaluate (skipped)")
        return 0
    result = evaluate()
    if "-v" in argv:
        print("\n".join(result.misses + result.errors))
    print("\n".join(result.lines() + tables(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
