"""Showing a refused input on the form it came from: each ``InputError`` problem beside the field it names.

Every page with a form shows a service's refusal this one way (docs/architecture.md, "Input errors"): a
problem naming a field of the form goes to that field's errors, any other (``errors.GENERAL``, or a name
the form has no field for) to ``form.form_errors``, shown above the form's fields.
"""

from collections.abc import Mapping

from wtforms import Form


def sentence(text: str) -> str:
    """A reason as shown on a page: starting with a capital letter."""
    return text[:1].upper() + text[1:]


def show_problems(form: Form, problems: Mapping[str, str], *, prefixes: tuple[str, ...] = ()) -> None:
    """Put each problem on the field it names, the name as it is or after one of ``prefixes`` (the domain key
    ``reflection`` names the field ``score_reflection``)."""
    fields = form._fields
    for name, problem in problems.items():
        key = next(
            (
                candidate
                for candidate in (name, *(prefix + name for prefix in prefixes))
                if name and candidate in fields
            ),
            None,
        )
        if key is None:
            form.form_errors.append(sentence(problem))
        else:
            field = fields[key]
            field.errors = [*field.errors, sentence(problem)]
