"""The forms of webinars: scheduling one with its speakers, a guest's registration, attendance
imports and the follow-up (recording, slides)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
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
from forum.forms import BaseForm, MaxLength, TranslatedForm
from forum.i18n import GENDER_LABELS, SECTOR_LABELS
from forum.languages import interface_language_choices


class SpeakerForm(TranslatedForm):
    """One speaker or the moderator of a webinar."""

    speaker_id = HiddenField()
    role = SelectField(_l("Role"), validate_choice=False,
                       choices=choices.options([("speaker", _l("Speaker")), ("moderator", _l("Moderator"))]))
    name = StringField(_l("Name"), validators=[Length(max=200)])
    affiliation = StringField(_l("Affiliation"), validators=[Length(max=300)])
    bio = TextAreaField(_l("Short bio"), validators=[MaxLength(2000)])
    photo = FileField(_l("Photo (optional)"), description=_l("PNG, JPEG, GIF or WebP, up to 2 MB."))
    remove_photo = BooleanField(_l("Remove the photo"))


WEBINAR_LANGUAGES = [("es,en", _l("Spanish and English")), ("es", _l("Spanish")), ("en", _l("English"))]


class WebinarForm(BaseForm):
    title_es = StringField(_l("Title in Spanish"), validators=[Length(max=300)])
    description_es = TextAreaField(_l("Description in Spanish (Markdown)"), validators=[MaxLength(20_000)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)])
    description_en = TextAreaField(_l("Description in English (Markdown)"), validators=[MaxLength(20_000)])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    timezone = SelectField(_l("Time zone of this date and time"), validate_choice=False)
    duration_minutes = IntegerField(_l("Duration in minutes"), default=90, validators=[Optional()])
    languages = SelectField(_l("Languages"), choices=choices.options(WEBINAR_LANGUAGES), validate_choice=False)
    interpretation = BooleanField(_l("Simultaneous interpretation between Spanish and English"))
    capacity = IntegerField(_l("Capacity"), validators=[Optional()],
                            description=_l("Empty for no limit. When it is full, people join a waiting list."))
    registration_deadline = DateTimeLocalField(_l("Registration closes (optional)"), format="%Y-%m-%dT%H:%M",
                                               validators=[Optional()])
    join_url = StringField(_l("Video-conference link"), validators=[Length(max=1000)],
                           description=_l("Shown only to registered people, in their emails and calendar."))
    pair_id = SelectField(_l("Closing event of a forum (optional)"), validate_choice=False)
    speakers = FieldList(FormField(SpeakerForm), min_entries=1, max_entries=12)


class GuestRegistrationForm(BaseForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    country = SelectField(_l("Country"), validate_choice=False)
    institution = StringField(_l("Institution"), validators=[Length(max=200)])
    sector = SelectField(_l("Sector"), validate_choice=False, choices=choices.options([("", "—"), *SECTOR_LABELS.items()]))
    gender = SelectField(_l("Sex/gender (optional)"), validate_choice=False,
                         choices=choices.options([("", "—"), *GENDER_LABELS.items()]),
                         description=_l("Used only for aggregated participation statistics."))
    locale = SelectField(_l("Language of your emails"), validate_choice=False, choices=interface_language_choices)


class AttendanceImportForm(BaseForm):
    file = FileField(_l("Attendance report (CSV)"), description=_l(
        "The video platform's export. People are matched by email; rows that match nobody are listed."))


class FollowUpForm(BaseForm):
    recording_url = StringField(_l("Recording link"), validators=[Length(max=1000)])
    slides_url = StringField(_l("Slides link"), validators=[Length(max=1000)],
                             description=_l("For example, a resource of the community."))
