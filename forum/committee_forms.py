"""The forms of technical committees: a process, its rounds and their questions, and a poll."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from forum import choices
from forum.forms import BaseForm, TranslatedForm


class ProcessForm(BaseForm):
    title_es = StringField(_l("Title in Spanish"), validators=[Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)])
    description_es = TextAreaField(_l("Description in Spanish"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=5000)])
    pair_id = SelectField(_l("Forum whose synthesis includes the results (optional)"), validate_choice=False)


QUESTION_KIND_CHOICES = [("single", _l("Single choice")), ("multiple", _l("Multiple choice")),
                         ("scale", _l("Agreement scale from 1 to 5")), ("ranking", _l("Ranking"))]


class RoundQuestionForm(TranslatedForm):
    kind = SelectField(_l("Type"), choices=choices.options(QUESTION_KIND_CHOICES), validate_choice=False)
    text_es = TextAreaField(_l("Question in Spanish"), validators=[Length(max=2000)])
    text_en = TextAreaField(_l("Question in English"), validators=[Length(max=2000)])
    options = TextAreaField(_l("Options, one per line"), validators=[Length(max=10_000)],
                            description=_l("“Spanish | English”, or one label for both. Not for scales."))
    allow_comment = BooleanField(_l("Allow a comment (scales)"))


ROUND_KIND_CHOICES = [("open", _l("Open round: questions answered in discussion threads")),
                      ("questionnaire", _l("Questionnaire: closed questions")),
                      ("vote", _l("Vote: approve, reject or abstain on proposals"))]


class RoundForm(BaseForm):
    kind = SelectField(_l("Kind of round"), choices=choices.options(ROUND_KIND_CHOICES), validate_choice=False)
    title_es = StringField(_l("Title in Spanish"), validators=[Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)])
    description_es = TextAreaField(_l("Instructions in Spanish"), validators=[Length(max=10_000)])
    description_en = TextAreaField(_l("Instructions in English"), validators=[Length(max=10_000)])
    opens_at = DateTimeLocalField(_l("Opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    anonymous = BooleanField(_l("Anonymous ballots: results never show who answered what, not even to organizers"))
    results_visibility = SelectField(_l("Results"), validate_choice=False, choices=choices.options([
        ("after_close", _l("Hidden until the round closes")), ("live", _l("Shown while the round is open"))]))
    quorum_percent = IntegerField(_l("Quorum: percentage of members who must vote (votes)"), validators=[Optional()])
    threshold_percent = IntegerField(_l("Approval threshold: percentage of approvals among approvals and rejections (votes)"),
                                     validators=[Optional()],
                                     description=_l("Empty: more approvals than rejections."))
    source_round_id = HiddenField()
    questions = FieldList(FormField(RoundQuestionForm), min_entries=1, max_entries=40)


class PollForm(BaseForm):
    kind = SelectField(_l("Type"), validate_choice=False,
                       choices=choices.options([("single", _l("Single choice")), ("multiple", _l("Multiple choice"))]))
    text_es = StringField(_l("Question in Spanish"), validators=[Length(max=2000)])
    text_en = StringField(_l("Question in English"), validators=[Length(max=2000)])
    options = TextAreaField(_l("Options, one per line"), validators=[Length(max=10_000)],
                            description=_l("“Spanish | English”, or one label for both."))
    closes_at = DateTimeLocalField(_l("Closes (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                   description=_l("Empty: when the forum closes."))
    anonymous = BooleanField(_l("Anonymous ballots"))
    results_visibility = SelectField(_l("Results"), validate_choice=False, choices=choices.options([
        ("live", _l("Shown while the poll is open")), ("after_close", _l("Hidden until the poll closes"))]))
