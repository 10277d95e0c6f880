"""The benchmark's report: a markdown table, a JSON document and a PNG chart."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench import bytecodes, instructions, verdicts
from bench.engines import DESCRIPTIONS, label
from bench.load import READ_SCENARIOS, SCENARIOS, Result
from bench.servers import CONFIGS, SERVED, Config
from bench.verdicts import TARGETS, Verdict

# The configurations compared with the baseline, in the ratio table's and the chart's order.
COMPARED = tuple(config.name for config in SERVED if config.name != "baseline")
# The ratio table's rows, worded as the README's Performance table words them.
SCENARIO_LABELS = {
    "list": "list (20 articles, authors, comment counts)",
    "detail": "article detail",
    "create": "create (session-authenticated)",
    "write-then-read": "write, then read it back",
}


def summarize(rounds: dict[str, dict[str, list[Result]]]) -> dict[str, dict[str, dict]]:
    """Per scenario and configuration: the median over rounds, and the ratio to the baseline.

    A round in which no request completed (a server or its database stalled
    for longer than the round) measured nothing: it is left out of the
    medians and counted as an empty round, not taken as 0 operations a second.
    A round that completed anything at all counts as measured.
    """
    summary: dict[str, dict[str, dict]] = {}
    for scenario, by_config in rounds.items():
        completed = {
            config: [result for result in results if result.operations] for config, results in by_config.items()
        }
        baseline = _median_rate(completed["baseline"])
        summary[scenario] = {}
        for config, results in by_config.items():
            done = completed[config]
            per_second = _median_rate(done)
            summary[scenario][config] = {
                "per_second": None if per_second is None else round(per_second, 1),
                "p50_ms": round(statistics.median(result.p50_ms for result in done), 2) if done else None,
                "p99_ms": round(statistics.median(result.p99_ms for result in done), 2) if done else None,
                "ratio": round(per_second / baseline, 3) if per_second is not None and baseline else None,
                "errors": sum(result.errors for result in results),
                "empty_rounds": len(results) - len(done),
                "rounds": [round(result.per_second, 1) for result in results],
            }
    return summary


def _median_rate(results: list[Result]) -> float | None:
    return statistics.median(result.per_second for result in results) if results else None


def ratio_table(document: dict) -> list[str]:
    """Ratios to the baseline: one row per engine and scenario, one column per configuration.

    The README's Performance table has this shape: paste it there.
    """
    lines = [
        "| engine | scenario | " + " | ".join(COMPARED) + " |",
        "|---|---|" + "---:|" * len(COMPARED),
    ]
    for engine, summary in document["engines"].items():
        for scenario in SCENARIOS:
            cells = []
            for config in COMPARED:
                ratio = summary.get(scenario.name, {}).get(config, {}).get("ratio")
                cells.append("-" if ratio is None else f"{ratio:.3f}")
            name = SCENARIO_LABELS.get(scenario.name, scenario.name)
            lines.append(f"| {label(engine)} | {name} | " + " | ".join(cells) + " |")
    return lines


def configurations() -> list[str]:
    """What each configuration is, as the report's first list."""
    served = [f"- `{config.name}`{_only_on(config)}: {config.description}" for config in SERVED]
    counted = [
        f"- `{config.name}` (instructions only): {config.description}" for config in CONFIGS if not config.served
    ]
    return [*served, *counted]


def _only_on(config: Config) -> str:
    """`` (PostgreSQL only)`` for a configuration served on some engines, nothing for one served on all."""
    return "" if config.engines is None else f" ({', '.join(map(label, config.engines))} only)"


def part_costs(counted: dict[str, dict[str, int]]) -> list[str]:
    """Instructions per request that each part of routing adds, from the configurations that leave one out."""
    same = verdicts.LIKE_FOR_LIKE
    rows = [  # (part, configuration with it, configuration without it)
        ("the layout: replicas, auth on the primary (multidb - baseline)", "multidb", "baseline"),
        ("reporting headers (X-DB-Alias, X-DB-Route-Reason, Server-Timing)", same, verdicts.QUIET),
        ("metrics (counters and histograms per request and query)", same, "same-dbs-no-metrics"),
        ("causal tokens (read-your-writes)", same, "same-dbs-no-tokens"),
        (f"an auth database of its own (routing - {same})", "routing", same),
        (f"all of routing on the same layout ({same} - baseline)", same, "baseline"),
    ]
    endpoints = list(counted)

    def cell(endpoint: str, more: str, less: str) -> str:
        by_config = counted[endpoint]
        if more not in by_config or less not in by_config:
            return "-"
        added = by_config[more] - by_config[less]
        return f"{added:,} ({100 * added / by_config['baseline']:.2f} pt)"

    lines = ["| part | " + " | ".join(endpoints) + " |", "|---|" + "---:|" * len(endpoints)]
    for part, more, less in rows:
        lines.append(f"| {part} | " + " | ".join(cell(endpoint, more, less) for endpoint in endpoints) + " |")
    return lines


# The bytecode table's columns: the peer and routing like for like, with and without its headers.
BYTECODE_COLUMNS = ("multidb", verdicts.LIKE_FOR_LIKE, verdicts.QUIET)


def bytecode_parts(document: dict) -> list[str]:
    """Python bytecode per request over the baseline, by the part of routing (or the peer) that runs it.

    Then each like-for-like configuration's instruction target counted in
    bytecodes (the peer's bytecodes over the baseline, plus the target's margin
    as a share of the baseline's bytecodes), which layout cannot move but which
    assumes every configuration's bytecode costs what the baseline's does; and,
    when callgrind ran, the instructions each configuration adds per bytecode it
    adds, and the target converted at that rate instead.
    """
    measured = document["bytecodes"]
    columns = [(endpoint, name) for endpoint in measured for name in BYTECODE_COLUMNS if name in measured[endpoint]]

    def total(endpoint: str, config: str) -> float:
        return sum(measured[endpoint][config]["parts"].values())

    def added(endpoint: str, config: str) -> float:
        return total(endpoint, config) - total(endpoint, "baseline")

    lines = [
        "| part | " + " | ".join(f"{endpoint}: {config}" for endpoint, config in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for part in bytecodes.PARTS:
        cells = []
        for endpoint, config in columns:
            value = measured[endpoint][config]["parts"].get(part, 0)
            if part == bytecodes.REST:
                value -= measured[endpoint]["baseline"]["parts"].get(part, 0)
            cells.append(f"{value:,.0f}" if value else "")
        if not any(cells):  # a part these requests never run (the token hand-out: they only read)
            continue
        name = f"{part}, over the baseline's" if part == bytecodes.REST else part
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = [f"**{added(endpoint, config):,.0f}**" for endpoint, config in columns]
    lines.append("| **all, over the baseline** | " + " | ".join(totals) + " |")
    targets = []
    for endpoint, config in columns:
        counts = {name: total(endpoint, name) for name in measured[endpoint]}
        allowed = verdicts.allowed_over_baseline(counts, config)
        targets.append("" if allowed is None else f"{allowed:,.0f}")
    lines.append("| its instruction target, counted in bytecodes | " + " | ".join(targets) + " |")
    counted = document.get("instructions", {})
    if counted:
        rates, converted = [], []
        for endpoint, config in columns:
            by_config = counted.get(endpoint, {})
            if config not in by_config or not added(endpoint, config):
                rates.append("-")
                converted.append("-")
                continue
            rate = (by_config[config] - by_config["baseline"]) / added(endpoint, config)
            rates.append(f"{rate:,.0f}")
            allowed = verdicts.allowed_over_baseline(by_config, config)
            converted.append("" if allowed is None else f"{allowed / rate:,.0f}")
        lines.append("| callgrind instructions per bytecode, over the baseline | " + " | ".join(rates) + " |")
        lines.append("| its instruction target, in bytecodes at that rate | " + " | ".join(converted) + " |")
    return lines


def markdown(document: dict, judged: list[Verdict]) -> str:
    lines = [
        f"# Benchmark: {document['started']}",
        "",
        f"Command: `{document['command']}`. Machine: {document['cores']} cores. Load: {document['generator']}, "
        f"{document['connections']} connections, {document['rounds']} rounds of {document['seconds']} s per "
        "configuration, interleaved (baseline, routing, routing-same-dbs, ..., baseline, ...). Medians over rounds.",
        "",
        *configurations(),
        "",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in document["versions"].items()) + ".",
        "",
    ]
    if document["engines"]:
        lines += ["## Throughput relative to the baseline", "", *ratio_table(document), ""]
    for engine, summary in document["engines"].items():
        lines += [f"## {label(engine)}", ""]
        if engine in DESCRIPTIONS:
            lines += [f"{label(engine)}: {DESCRIPTIONS[engine]}.", ""]
        lines += [
            "| scenario | configuration | ops/s | p50 ms | p99 ms | ratio to baseline | errors |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for scenario in SCENARIOS:
            for config, row in summary.get(scenario.name, {}).items():
                lines.append(_engine_row(scenario.name, config, row))
        lines.append("")
    counted = document.get("instructions")
    if counted:
        lines += [
            "## CPU instructions per request (callgrind, in process, SQLite)",
            "",
            f"Counted over {instructions.REQUESTS} requests after warm-up, start-up left out: each count is the "
            f"median over {len(instructions.HASH_SEEDS)} hash seeds (a seed repeats its count to a few hundred "
            "instructions), with the lowest and highest seed's. The ratio is what a CPU-bound server's throughput "
            "would be relative to the baseline (baseline instructions / configuration instructions).",
            "",
            "| endpoint | configuration | instructions (median) | lowest seed | highest seed | ratio to baseline |",
            "|---|---|---:|---:|---:|---:|",
        ]
        spread = document.get("instruction_spread", {})
        for endpoint, by_config in counted.items():
            for config, count in by_config.items():
                ratio = by_config["baseline"] / count
                seeds = spread.get(endpoint, {}).get(config, {})
                low, high = (f"{seeds[key]:,}" if key in seeds else "-" for key in ("low", "high"))
                lines.append(f"| {endpoint} | {config} | {count:,} | {low} | {high} | {ratio:.3f} |")
        lines += [
            "",
            "## What each part costs (instructions per request, and points of the baseline's)",
            "",
            *part_costs(counted),
            "",
        ]
    if document.get("bytecodes"):
        lines += [
            "## Where routing's work goes (Python bytecode per request, over the baseline)",
            "",
            f"Counted exactly with sys.settrace over {bytecodes.REQUESTS} requests after warm-up (bench/bytecodes.py): "
            "each bytecode is charged to the part of routing, or the peer, whose code ran it or called the library "
            "code that did. C code is not counted: these are not instructions, but over the baseline the two go "
            "together (the last rows, when callgrind ran), so the instruction targets are also shown in bytecodes: "
            "the peer's plus the margin's share of the baseline's, which no heap layout moves, and the instruction "
            "target converted at each configuration's own instructions per bytecode.",
            "",
            *bytecode_parts(document),
            "",
        ]
    micro = document.get("micro_us", {})
    if micro:
        lines += ["## Micro-benchmarks (timeit, best of 5)", "", "| what | µs |", "|---|---:|"]
        lines += [f"| {name} | {value:.2f} |" for name, value in micro.items()]
        lines.append("")
    budget = document.get("query_budget", [])
    if budget:
        lines += [
            "## Query budget (queries per request, per alias)",
            "",
            "| endpoint | alias | page_size 10 | page_size 100 | equal |",
            "|---|---|---:|---:|---|",
        ]
        for row in budget:
            counts = list(row["queries"].values())
            equal = "yes" if len(set(counts)) == 1 else "**NO**"
            lines.append(f"| {row['endpoint']} | {row['alias']} | {counts[0]} | {counts[1]} | {equal} |")
        lines.append("")
    lines += ["## Targets", ""] + [f"- {verdict.line()}" for verdict in judged]
    lines += ["", verdicts.summary(judged), ""]
    return "\n".join(lines)


def _engine_row(scenario: str, config: str, row: dict) -> str:
    """One line of an engine's table; rounds in which nothing completed are named after the errors."""
    ratio = row["ratio"]
    shown = "-" if ratio is None else "1.000" if config == "baseline" else f"{ratio:.3f}"
    if config == "routing" and scenario in READ_SCENARIOS and ratio is not None and ratio < TARGETS["read_ratio"]:
        shown += f" (below {TARGETS['read_ratio']:g})"
    errors = str(row["errors"])
    empty = row.get("empty_rounds", 0)
    if empty:
        errors += f"; {empty} of {len(row['rounds'])} rounds completed nothing, left out"

    def number(value, digits: int) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    return (
        f"| {scenario} | {config} | {number(row['per_second'], 0)} | {number(row['p50_ms'], 2)} | "
        f"{number(row['p99_ms'], 2)} | {shown} | {errors} |"
    )


def chart(document: dict, path: Path) -> Path | None:
    """Ratios to the baseline per scenario, one panel per engine."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    engines = list(document["engines"])
    if not engines:
        return None
    figure, axes = plt.subplots(1, len(engines), figsize=(6 * len(engines), 4), squeeze=False)
    names = [scenario.name for scenario in SCENARIOS]
    for axis, engine in zip(axes[0], engines, strict=True):
        summary = document["engines"][engine]
        # Bars only for what this engine served: no empty slot for another engine's configuration.
        compared = [config for config in COMPARED if any(config in summary.get(name, {}) for name in names)]
        width = 0.8 / max(len(compared), 1)
        offsets = [(index - (len(compared) - 1) / 2) * width for index in range(len(compared))]
        for offset, config in zip(offsets, compared, strict=True):
            # No ratio (no round completed): no bar, rather than a bar at 0.
            ratios = [summary.get(name, {}).get(config, {}).get("ratio") for name in names]
            values = [float("nan") if ratio is None else ratio for ratio in ratios]
            bars = axis.bar([i + offset for i in range(len(names))], values, width, label=config)
            axis.bar_label(bars, labels=["" if ratio is None else f"{ratio:.2f}" for ratio in ratios], fontsize=6)
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.axhline(TARGETS["read_ratio"], color="red", linewidth=0.8, linestyle="--", label="0.97 target")
        axis.set_xticks(range(len(names)), names)
        axis.set_ylabel("throughput / baseline")
        axis.set_title(label(engine))
        axis.legend(loc="lower right", fontsize=8)
    figure.suptitle("Throughput relative to plain Django (baseline = 1.0)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write(document: dict, judged: list[Verdict], folder: Path) -> tuple[Path, Path, Path | None]:
    folder.mkdir(parents=True, exist_ok=True)
    document["verdicts"] = [verdict.as_dict() for verdict in judged]
    document["verdict_counts"] = verdicts.counts(judged)
    markdown_path = folder / "latest.md"
    json_path = folder / "latest.json"
    markdown_path.write_text(markdown(document, judged))
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    return markdown_path, json_path, chart(document, folder / "latest.png")
