"""The outcome of one read under its rubric's pass rule: plain data in, plain data out."""

from collections.abc import Mapping
from dataclasses import dataclass

from app.rubrics.model import PassRule, Rubric


@dataclass(frozen=True)
class ReadOutcome:
    result: str  # "pass" | "fail"
    mean: float
    total: float
    reasons: tuple[str, ...]  # why it failed, in words a reviewer understands; empty on pass

    @property
    def passed(self) -> bool:
        return self.result == "pass"


def apply_pass_rule(rule: PassRule, scores: Mapping[str, float], names: Mapping[str, str] | None = None) -> ReadOutcome:
    """Pass when every threshold the rule sets is met: each domain ≥ domain_min, mean ≥ mean_min, total ≥ total_min.

    ``scores`` maps domain key to score (every domain of the rubric, all scored);
    ``names`` gives the domain names used in the reasons.
    """
    if not scores:
        raise ValueError("scores: at least one domain score is needed")
    names = names or {}
    total = float(sum(scores.values()))
    mean = total / len(scores)
    if rule.met_by(scores):
        return ReadOutcome(result="pass", mean=mean, total=total, reasons=())
    reasons = []
    if rule.domain_min is not None:
        below = [names.get(key, key) for key, value in scores.items() if value < rule.domain_min]
        if below:
            reasons.append(f"below {_number(rule.domain_min)} in {', '.join(below)}")
    if rule.mean_min is not None and mean < rule.mean_min:
        reasons.append(f"mean {_number(mean)} is below {_number(rule.mean_min)}")
    if rule.total_min is not None and total < rule.total_min:
        reasons.append(f"total {_number(total)} is below {_number(rule.total_min)}")
    return ReadOutcome(result="fail", mean=mean, total=total, reasons=tuple(reasons))


def read_outcome(rubric: Rubric, scores: Mapping[str, float], unmet_requirements: tuple[str, ...] = ()) -> ReadOutcome:
    """A read's outcome; an application read also fails while any requirement line is not Met."""
    outcome = apply_pass_rule(
        rubric.pass_rule,
        {key: scores[key] for key in rubric.domain_keys},
        {domain.key: domain.name for domain in rubric.domains},
    )
    if not unmet_requirements:
        return outcome
    reasons = outcome.reasons + (f"requirements not met: {', '.join(unmet_requirements)}",)
    return ReadOutcome(result="fail", mean=outcome.mean, total=outcome.total, reasons=reasons)


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".rstrip("0")
