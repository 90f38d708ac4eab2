"""Console output of a quality gate: one row per expectation, then the verdict."""

from __future__ import annotations

from expectations.gate import ExpectationOutcome as Outcome
from expectations.gate import GateDecision
from flows.cli.output import console, table


def _mark(outcome: Outcome) -> str:
    if outcome.success:
        return "[green]pass[/]"
    return "[red]FAIL[/]" if outcome.severity == "error" else "[yellow]warn[/]"


def _observed(outcome: Outcome) -> str:
    observed = outcome.observed_value or ""
    if outcome.unexpected_count:
        observed = f"{outcome.unexpected_count:,} unexpected; {observed}".rstrip("; ")
    if outcome.note:
        observed = f"{observed} ({outcome.note})".strip()
    return observed


def print_decision(decision: GateDecision) -> None:
    """The expectations table, the verdict with the quality score, failures, Data Docs."""
    shown = table(
        f"{decision.layer} gate ({decision.run_id})",
        ("check", "expectation", "severity", "result", "observed"),
    )
    for outcome in decision.outcomes:
        shown.add_row(
            outcome.check, outcome.expectation, outcome.severity, _mark(outcome), _observed(outcome)
        )
    console.print(shown)
    scores = decision.scores()
    mean = sum(scores.values()) / len(scores) if scores else 1.0
    verdict = "[green]gate passed[/]" if decision.passed else "[bold red]gate FAILED[/]"
    console.print(
        f"{verdict}: {len(decision.outcomes)} expectations, {len(decision.failures)} failed "
        f"(error), {len(decision.warnings)} warnings; quality score {mean:.1%}; "
        f"{decision.seconds:.1f}s"
    )
    for failure in decision.failures:
        console.print(f"[red]✗[/] {failure.check}: {failure.expectation}")
    if decision.docs_index:
        console.print(f"Data Docs: {decision.docs_index}")
