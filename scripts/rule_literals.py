"""Literal rule matching for the call-set tools: a rule's phrases and regex
patterns over normalized text, minus the hits inside its except phrases, as
callqa matches typed text. Shared by scripts/make_dev_calls.py (labels from the
script) and bench/calls_accuracy.py (which scripted phrases a verdict rests on).
Standard library only."""
import re


def occurrences(s, phrase):
    """Every (start, end) of `phrase` in `s`, overlapping allowed."""
    out = []
    i = s.find(phrase)
    while i >= 0:
        out.append((i, i + len(phrase)))
        i = s.find(phrase, i + 1)
    return out


def literal_spans(rule, s):
    """The rule's hits in `s` as sorted (start, end, excepted) triples."""
    spans = [span for p in rule.get("phrases", []) for span in occurrences(s, p)]
    for pat in rule.get("patterns", []):
        spans += [(m.start(), m.end()) for m in re.finditer(pat, s)]
    exc = [span for p in rule.get("except", []) for span in occurrences(s, p)]
    return [(a, b, any(x <= a and b <= y for x, y in exc)) for a, b in sorted(spans)]
