"""Flask-WTF forms: they parse and check shape; rules live in the services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from forum.i18n import GENDER_LABELS, SECTOR_LABELS, LANGUAGE_NAMES


def _password_field(label, description=None):
    return PasswordField(label, description=description, validators=[
        DataRequired(_l("Choose a password.")),
        Length(min=10, message=_l("Use at least %(min)d characters for your password.")),
    ])


def _repeat_password_field():
    return PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", message=_l("The two passwords do not match."))])


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                               Email(_l("Enter a valid email address."))])
    password = _password_field(_l("Password"), description=_l("At least 10 characters."))
    confirm = _repeat_password_field()


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                               Email(_l("Enter a valid email address."))])


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    confirm = _repeat_password_field()


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(_l("Enter your name.")), Length(max=120)])
    handle = StringField(_l("Handle"), validators=[DataRequired(_l("Choose a handle.")), Length(max=30)],
                         description=_l("Others mention you as @handle. Lowercase letters, digits and underscores."))
    country = SelectField(_l("Country"), validators=[Optional()], validate_choice=False)
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=200)])
    sector = SelectField(_l("Sector"), validators=[Optional()], validate_choice=False,
                         choices=[("", "—")] + list(SECTOR_LABELS.items()))
    gender = SelectField(_l("Sex/gender (optional)"), validators=[Optional()], validate_choice=False,
                         choices=[("", "—")] + list(GENDER_LABELS.items()),
                         description=_l("Used only for aggregated participation statistics, "
                                        "never shown on your profile."))
    locale = SelectField(_l("Preferred language"), validate_choice=False,
                         choices=list(LANGUAGE_NAMES.items()))
    timezone = SelectField(_l("Time zone"), validators=[Optional()], validate_choice=False)
    show_email = BooleanField(_l("Show my email address on my profile to signed-in members"))
    show_country = BooleanField(_l("Show my country"))
    show_institution = BooleanField(_l("Show my institution"))
    show_sector = BooleanField(_l("Show my sector"))
    email_notifications = SelectField(
        _l("Email me about notifications"), validate_choice=False,
        choices=[("immediately", _l("Immediately")), ("off", _l("Never (only in the site)"))],
        description=_l("Replies to your posts, mentions and new posts in what you watch."))


MARKDOWN_HELP = _l("Markdown: **bold**, *italics*, [link](https://…), lists with -, > quote, @handle to mention")


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), description=MARKDOWN_HELP)
    reply_to = HiddenField()


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    body = TextAreaField(_l("Your message"), description=MARKDOWN_HELP)


class EditPostForm(FlaskForm):
    body = TextAreaField(_l("Text"), description=MARKDOWN_HELP)


class RequestJoinForm(FlaskForm):
    message = TextAreaField(_l("Why would you like to join? (optional)"), validators=[Optional(), Length(max=2000)])


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the person)"), validators=[Optional(), Length(max=2000)])


class InviteForm(FlaskForm):
    emails = TextAreaField(_l("Email addresses"), description=_l("One per line, or separated by commas."))
    role = SelectField(_l("Role"), validate_choice=False,
                       choices=[("member", _l("member")), ("moderator", _l("moderator")), ("organizer", _l("organizer"))])
    language = SelectField(_l("Language of the invitation for people without an account"), validate_choice=False,
                           choices=list(LANGUAGE_NAMES.items()))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), description=_l(
        "Columns: email, name, country, institution, sector, language. UTF-8 or Latin-1; comma or semicolon."))


class ResourceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    language = SelectField(_l("Language"), validate_choice=False, choices=list(LANGUAGE_NAMES.items()))
    tags = StringField(_l("Tags"), description=_l("Separated by commas, e.g. case study, methodology"))
    url = StringField(_l("Link"), validators=[Optional(), Length(max=1000)])
    upload = FileField(_l("File (optional)"), description=_l(
        "PDF, Word, Excel, PowerPoint, OpenDocument or an image."))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"))


class SuspendForm(FlaskForm):
    until = DateField(_l("Suspended until"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
