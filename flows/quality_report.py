"""Print a quality gate's decision: one row per expectation, then a verdict line."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from expectations.gate import GateDecision


def print_decision(decision: GateDecision, console: Console) -> None:
    table = Table(title=f"{decision.layer} gate ({decision.run_id})", title_justify="left")
    table.add_column("check")
    table.add_column("expectation")
    table.add_column("severity")
    table.add_column("result")
    table.add_column("observed", overflow="fold", max_width=40)
    for outcome in decision.outcomes:
        mark = (
            "[green]pass[/]"
            if outcome.success
            else ("[red]FAIL[/]" if outcome.severity == "error" else "[yellow]warn[/]")
        )
        observed = outcome.observed_value or ""
        if outcome.unexpected_count:
            observed = f"{outcome.unexpected_count:,} unexpected; {observed}".rstrip("; ")
        if outcome.note:
            observed = f"{observed} ({outcome.note})".strip()
        table.add_row(outcome.check, outcome.expectation, outcome.severity, mark, observed)
    console.print(table)
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
