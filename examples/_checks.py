"""The examples' shared check helpers: `check` (an explicit check that `python -O` keeps), `section` and
`summary_text`.

Each example runs in its own process, so `CHECKS` collects the checks passed by that one example (for its
final "All N checks passed." line). Examples import it as `_checks` (their own folder is on `sys.path` when
run as `python examples/<name>.py`).
"""

CHECKS = []


def check(condition, message):
    """An explicit check (not `assert`, which `python -O` strips)."""
    if not condition:
        raise SystemExit(f"CHECK FAILED: {message}")
    CHECKS.append(message)
    print(f"  [ok] {message}")


def section(title):
    print()
    print(f"=== {title} " + "=" * max(0, 70 - len(title)))


def summary_text(model):
    """Prints `model.summary()` and returns the text it printed."""
    captured = []
    model.summary(print_fn=lambda text, *args, **kwargs: captured.append(text))
    text = "".join(captured)
    print(text, end="" if text.endswith("\n") else "\n")
    return text
