"""Flask-WTF forms: they parse and check shape; rules live in the services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from forum import choices
from forum.i18n import GENDER_LABELS, SECTOR_LABELS
from forum.languages import interface_language_choices
from forum.markup import MAX_SOURCE_LENGTH


class MaxLength:
    """At most `limit` characters, counted as stored (a line break is one), and a message that
    says how long the text is. Unlike Length it adds no `maxlength` to the page: a browser
    would cut a long paste without a word, and the text would be lost."""

    def __init__(self, limit: int):
        assert limit <= MAX_SOURCE_LENGTH  # the renderer's own guard stays out of reach
        self.limit = limit

    def __call__(self, form, field):
        from flask_babel import format_number, gettext

        length = len((field.data or "").replace("\r\n", "\n"))
        if length > self.limit:
            raise ValidationError(gettext("This text can be at most %(limit)s characters; it has %(n)s.",
                                          limit=format_number(self.limit), n=format_number(length)))


class BaseForm(FlaskForm):
    """Every form of the app: a field holding a control character (a NUL byte...) gets an error,
    so the form comes back with the text kept instead of PostgreSQL refusing it (forum.edge)."""

    def validate(self, extra_validators=None) -> bool:
        from forum.edge import MESSAGE, has_control

        valid = super().validate(extra_validators)
        for field in _text_fields(self):
            if isinstance(field.data, str) and has_control(field.data):
                field.errors = [*field.errors, str(MESSAGE)]
                valid = False
        return valid


def _text_fields(form):
    """The fields of a form and of its sub-forms (FieldList, FormField), depth first."""
    for field in form:
        if hasattr(field, "entries"):
            for entry in field.entries:
                yield from _text_fields(entry.form) if hasattr(entry, "form") else [entry]
        elif hasattr(field, "form"):
            yield from _text_fields(field.form)
        else:
            yield field


def _password_field(label, description=None):
    return PasswordField(label, description=description, validators=[
        DataRequired(_l("Choose a password.")),
        Length(min=10, message=_l("Use at least %(min)d characters for your password.")),
    ])


def _repeat_password_field():
    return PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", message=_l("The two passwords do not match."))])


class RegisterForm(BaseForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")), Length(max=254),
                                               Email(_l("Enter a valid email address."))])
    password = _password_field(_l("Password"), description=_l("At least 10 characters."))
    confirm = _repeat_password_field()
    newsletter = BooleanField(_l("Send me newsletters from the network and my communities"))


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class ResetRequestForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")), Length(max=254),
                                               Email(_l("Enter a valid email address."))])


class ResetPasswordForm(BaseForm):
    password = _password_field(_l("New password"))
    confirm = _repeat_password_field()


class ProfileForm(BaseForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(_l("Enter your name.")), Length(max=120)])
    handle = StringField(_l("Handle"), validators=[DataRequired(_l("Choose a handle.")), Length(max=30)],
                         description=_l("Others mention you as @handle. Lowercase letters, digits and underscores."))
    country = SelectField(_l("Country"), validators=[Optional()], validate_choice=False)
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=200)])
    sector = SelectField(_l("Sector"), validators=[Optional()], validate_choice=False,
                         choices=choices.options([("", "—"), *SECTOR_LABELS.items()]))
    gender = SelectField(_l("Sex/gender (optional)"), validators=[Optional()], validate_choice=False,
                         choices=choices.options([("", "—"), *GENDER_LABELS.items()]),
                         description=_l("Used only for aggregated participation statistics, "
                                        "never shown on your profile."))
    locale = SelectField(_l("Preferred language"), validate_choice=False,
                         choices=interface_language_choices)
    timezone = SelectField(_l("Time zone"), validators=[Optional()], validate_choice=False)
    show_email = BooleanField(_l("Show my email address on my profile to signed-in members"))
    show_country = BooleanField(_l("Show my country"))
    show_institution = BooleanField(_l("Show my institution"))
    show_sector = BooleanField(_l("Show my sector"))
    show_name_in_reports = BooleanField(
        _l("Name me in the synthesis reports of forums"),
        description=_l("Otherwise the reports quote you as “Participant 12 — country, sector”."))
    email_notifications = SelectField(
        _l("Email me about notifications"), validate_choice=False,
        choices=choices.options([("immediately", _l("Immediately")), ("off", _l("Never (only in the site)"))]),
        description=_l("Replies to your posts, mentions and new posts in what you watch."))
    digest_frequency = SelectField(_l("Digest of new activity in my communities"), validate_choice=False,
                                   choices=choices.options([("weekly", _l("Weekly")), ("daily", _l("Daily")), ("off", _l("Never"))]))
    newsletter = BooleanField(_l("Send me newsletters from the network and my communities"))


MARKDOWN_HELP = _l("Markdown: **bold**, *italics*, [link](https://…), lists with -, > quote, @handle to mention")


class ReplyForm(BaseForm):
    body = TextAreaField(_l("Your reply"), description=MARKDOWN_HELP)
    reply_to = HiddenField()


class ThreadForm(BaseForm):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    body = TextAreaField(_l("Your message"), description=MARKDOWN_HELP)


class EditPostForm(BaseForm):
    body = TextAreaField(_l("Text"), description=MARKDOWN_HELP)


class RequestJoinForm(BaseForm):
    message = TextAreaField(_l("Why would you like to join? (optional)"), validators=[Optional(), Length(max=2000)])


class DecisionForm(BaseForm):
    reason = TextAreaField(_l("Reason (sent to the person)"), validators=[Optional(), Length(max=2000)])


class InviteForm(BaseForm):
    emails = TextAreaField(_l("Email addresses"), description=_l("One per line, or separated by commas."))
    role = SelectField(_l("Role"), validate_choice=False,
                       choices=choices.options([("member", _l("member")), ("moderator", _l("moderator")), ("organizer", _l("organizer"))]))
    language = SelectField(_l("Language of the invitation for people without an account"), validate_choice=False,
                           choices=interface_language_choices)


class ImportForm(BaseForm):
    file = FileField(_l("CSV file"), description=_l(
        "Columns: email, name, country, institution, sector, language. UTF-8 or Latin-1; comma or semicolon."))


class ResourceForm(BaseForm):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    language = SelectField(_l("Language"), validate_choice=False, choices=interface_language_choices)
    tags = StringField(_l("Tags"), description=_l("Separated by commas, e.g. case study, methodology"))
    url = StringField(_l("Link"), validators=[Optional(), Length(max=1000)])
    upload = FileField(_l("File (optional)"), description=_l(
        "PDF, Word, Excel, PowerPoint, OpenDocument or an image."))


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"))


class SuspendForm(BaseForm):
    until = DateField(_l("Suspended until"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


class TranslatedForm(Form):
    """A sub-form (in a FieldList) whose built-in messages are translated like FlaskForm's."""

    class Meta:
        def get_translations(self, form):
            from flask_wtf.i18n import translations

            return translations


class QuestionForm(TranslatedForm):
    """One guiding question, in both languages (matched across the pair by position)."""

    title_es = StringField(_l("Question in Spanish"), validators=[Length(max=300)])
    body_es = TextAreaField(_l("Invitation to answer, in Spanish (optional)"), validators=[MaxLength(5000)])
    title_en = StringField(_l("Question in English"), validators=[Length(max=300)])
    body_en = TextAreaField(_l("Invitation to answer, in English (optional)"), validators=[MaxLength(5000)])
    thread_es = HiddenField()
    thread_en = HiddenField()
    hidden = BooleanField(_l("Hidden from members"))


PAIR_LANGUAGES = [("es,en", _l("Spanish and English (a forum pair)")), ("es", _l("Spanish only")),
                  ("en", _l("English only"))]
PRE_MODERATION_CHOICES = [("off", _l("Off: posts appear at once")),
                          ("new_members", _l("New members' first posts wait for approval")),
                          ("all", _l("Every post waits for approval"))]


class PairForm(BaseForm):
    slug = StringField(_l("Address"), validators=[Length(max=60)],
                       description=_l("Lowercase letters, digits and hyphens; each forum adds -es or -en."))
    languages = SelectField(_l("Languages"), choices=choices.options(PAIR_LANGUAGES), validate_choice=False)
    opens_at = DateTimeLocalField(_l("Opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    title_es = StringField(_l("Title in Spanish"), validators=[Length(max=200)])
    summary_es = StringField(_l("One-line summary in Spanish"), validators=[Length(max=500)])
    concept_note_es = TextAreaField(_l("Concept note in Spanish (Markdown)"), validators=[MaxLength(100_000)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=200)])
    summary_en = StringField(_l("One-line summary in English"), validators=[Length(max=500)])
    concept_note_en = TextAreaField(_l("Concept note in English (Markdown)"), validators=[MaxLength(100_000)])
    allow_member_threads = BooleanField(_l("Members may open new threads besides the guiding questions"))
    pre_moderation = SelectField(_l("Pre-moderation"), choices=choices.options(PRE_MODERATION_CHOICES), validate_choice=False)
    pre_moderation_count = IntegerField(_l("How many first posts of a new member wait"), default=3,
                                        validators=[Optional()])
    themes = TextAreaField(_l("Theme codebook"), validators=[Length(max=10_000)], description=_l(
        "One theme per line: code | Spanish label | English label, optionally followed by | Spanish description "
        "| English description. Moderators tag posts with them; the descriptions guide the theme suggestions."))
    questions = FieldList(FormField(QuestionForm), min_entries=1, max_entries=20)


class CommunityForm(BaseForm):
    slug = StringField(_l("Address"), validators=[Length(max=80)],
                       description=_l("Lowercase letters, digits and hyphens."))
    name_es = StringField(_l("Name in Spanish"), validators=[Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    description_es = TextAreaField(_l("Description in Spanish"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=5000)])
    visibility = SelectField(_l("Who can see it"), validate_choice=False, choices=choices.options([
        ("public", _l("Public: anyone reads it")), ("members", _l("Members only: listed, only members read")),
        ("private", _l("Private: not listed; only members know it exists"))]))
    join_policy = SelectField(_l("How people join"), validate_choice=False, choices=choices.options([
        ("open", _l("Open: one click")), ("approval", _l("On request, approved by moderators")),
        ("invite", _l("By invitation only"))]))
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    logo = FileField(_l("Logo (optional)"), description=_l("PNG, JPEG, GIF or WebP, up to 2 MB."))
    organizers = TextAreaField(_l("First organizers"), description=_l(
        "Email addresses or @handles of registered people, one per line."))


class PairWithForm(BaseForm):
    other = SelectField(_l("Forum in the other language"), validate_choice=False)


DIGEST_LABELS = [("weekly", _l("Weekly")), ("daily", _l("Daily")), ("off", _l("Never"))]


class EmailPreferencesForm(BaseForm):
    digest_frequency = SelectField(_l("Digest of new activity in my communities"), choices=choices.options(DIGEST_LABELS),
                                   validate_choice=False)
    newsletter = BooleanField(_l("Send me newsletters from the network and my communities"))
    email_notifications = SelectField(
        _l("Email me about notifications"), validate_choice=False,
        choices=choices.options([("immediately", _l("Immediately")), ("off", _l("Never (only in the site)"))]))


class NewsletterForm(BaseForm):
    subject_es = StringField(_l("Subject in Spanish"), validators=[Length(max=300)])
    body_es = TextAreaField(_l("Text in Spanish (Markdown)"), validators=[MaxLength(100_000)])
    subject_en = StringField(_l("Subject in English"), validators=[Length(max=300)])
    body_en = TextAreaField(_l("Text in English (Markdown)"), validators=[MaxLength(100_000)])


EXPORT_FORMATS = [("docx", _l("Word (DOCX): the report with tables and charts")),
                  ("md", _l("Markdown: the report as text")),
                  ("csv-posts", _l("CSV: one row per post")),
                  ("csv-participants", _l("CSV: one row per participant")),
                  ("json", _l("JSON: the whole structure, for reuse")),
                  ("quotes-md", _l("Quotes sheet (Markdown): the quotes moderators chose, with citations")),
                  ("quotes-csv", _l("Quotes sheet (CSV): the quotes moderators chose, with citations"))]


class ExportForm(BaseForm):
    """A GET form: a download changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    format = SelectField(_l("Format"), choices=choices.options(EXPORT_FORMATS), validate_choice=False)
    language = SelectField(_l("Language of the report"), validate_choice=False,  # the site's, set by the view
                           description=_l("Headings and labels; posts stay in the language they were written in."))
    forum = SelectField(_l("Forums"), validate_choice=False)
    start = DateField(_l("From (optional)"), validators=[Optional()])
    end = DateField(_l("To (optional)"), validators=[Optional()])
    anonymise = BooleanField(_l("Anonymise authors (“Participant 12 — Chile, subnational government”)"),
                             description=_l("Members who asked not to be named are anonymised in every export."))
    highlights_only = BooleanField(_l("Only the posts moderators highlighted"))
    question = SelectField(_l("Guiding questions"), validate_choice=False)
    theme = SelectField(_l("Themes"), validate_choice=False)
    reviewed = HiddenField()
    paper = SelectField(_l("Paper size (Word)"), validate_choice=False, default="a4",
                        choices=choices.options([("a4", _l("A4")), ("letter", _l("Letter"))]))
