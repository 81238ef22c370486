"""The options of a <select>, in the shape WTForms takes.

WTForms 3.3 deprecates (value, label) tuples and dicts of groups, and 3.4 refuses them: every
SelectField gets its options through these two functions, so the rest of the code keeps its pairs.
"""
from collections.abc import Iterable, Mapping

from wtforms.fields.choices import SelectChoice

__all__ = ["SelectChoice", "grouped_options", "options"]


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """(value, label) pairs as options, in order."""
    return [SelectChoice(value, label) for value, label in pairs]


def grouped_options(groups: Mapping[str, Iterable[tuple]]) -> list[SelectChoice]:
    """{group label: (value, label) pairs} as options in <optgroup>s, groups in order."""
    return [SelectChoice(value, label, optgroup=group) for group, pairs in groups.items() for value, label in pairs]
