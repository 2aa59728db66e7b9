"""What an expression reads from a run: each metric, scalar and invariant route once, in order,
and nothing of the baseline run."""

from botruntime.scenario import Reference, parse_expression, references


def test_every_kind_of_read_is_named_once_in_reading_order() -> None:
    tree = parse_expression(
        "adv.replays_unexpected == 0 and n.error{kind=http5xx} == 0 "
        "and max_window(p99(lat.commit{action=send_ax}), 10s) <= 2s "
        "and rate(n.commit) >= 1 and not (n.error{kind=http5xx} > 0) and inv[bank/*] ok"
    )
    assert references(tree) == (
        Reference("scalar", "adv.replays_unexpected"),
        Reference("count", "n.error", (("kind", "http5xx"),)),
        Reference("quantile", "lat.commit", (("action", "send_ax"),), "p99", 0.99),
        Reference("count", "n.commit"),
        Reference("invariants", patterns=("bank/*",)),
    )


def test_what_a_baseline_reads_belongs_to_another_run() -> None:
    tree = parse_expression("p99(lat.commit) <= 1.2 * baseline(p99(lat.submit))")
    assert [r.name for r in references(tree)] == ["lat.commit"]
