"""The forum group form for the site's languages: PairForm has Spanish and English fields; each
further language of the LANGUAGES setting adds its own (title, summary, concept note, and per
question its text, invitation and thread), so enabling a language needs no form code."""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations

from babel.lists import format_list
from flask_babel import LazyString, gettext
from wtforms import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from forum.choices import options
from forum.forms import PAIR_LANGUAGES, MaxLength, PairForm, QuestionForm
from forum.i18n import language_label, locale_code

BUILT_IN = ("es", "en")  # the languages PairForm and QuestionForm declare


def _languages_label(group: tuple[str, ...]) -> LazyString:
    def label() -> str:
        text = format_list([language_label(lang) for lang in group], locale=locale_code())
        return text[:1].upper() + text[1:]
    return LazyString(label)


def language_choices(languages: tuple[str, ...]) -> list:
    """Every set of the site's languages a group may have, all of them first, single ones last."""
    if tuple(languages) == BUILT_IN:
        return options(PAIR_LANGUAGES)
    return options((",".join(group), _languages_label(group))
                   for size in range(len(languages), 0, -1) for group in combinations(languages, size))


def _fields_in(lang: str) -> tuple[dict, dict]:
    """One more language's question fields and forum fields; labels translated when shown."""
    def named(label):
        return LazyString(lambda: label(language_label(lang)))

    question = {
        f"title_{lang}": StringField(named(lambda name: gettext("Question in %(language)s", language=name)),
                                     validators=[Length(max=300)]),
        f"body_{lang}": TextAreaField(named(lambda name: gettext("Invitation to answer, in %(language)s (optional)",
                                                                 language=name)), validators=[MaxLength(5000)]),
        f"thread_{lang}": HiddenField()}
    forum = {
        f"title_{lang}": StringField(named(lambda name: gettext("Title in %(language)s", language=name)),
                                     validators=[Length(max=200)]),
        f"summary_{lang}": StringField(named(lambda name: gettext("One-line summary in %(language)s", language=name)),
                                       validators=[Length(max=500)]),
        f"concept_note_{lang}": TextAreaField(named(lambda name: gettext("Concept note in %(language)s (Markdown)",
                                                                         language=name)),
                                              validators=[MaxLength(100_000)])}
    return question, forum


@lru_cache(maxsize=8)
def pair_form_class(languages: tuple[str, ...]) -> type[PairForm]:
    """PairForm with fields for every language in `languages` (the site's)."""
    extra = [lang for lang in languages if lang not in BUILT_IN]
    if not extra:
        return PairForm
    question_fields: dict[str, object] = {}
    pair_fields: dict[str, object] = {}
    for lang in extra:
        more_question, more_pair = _fields_in(lang)
        question_fields.update(more_question)
        pair_fields.update(more_pair)
    question = type("GroupQuestionForm", (QuestionForm,), question_fields)
    pair_fields["questions"] = FieldList(FormField(question), min_entries=1, max_entries=20)
    pair_fields["languages"] = SelectField(PairForm.languages.args[0], choices=language_choices(languages),
                                           validate_choice=False)
    return type("GroupForm", (PairForm,), pair_fields)
