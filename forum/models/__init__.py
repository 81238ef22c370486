"""All models, importable from one place: `from forum.models import User, Post`."""
from forum.models.assist import AssistSibling, AssistState, AssistSuggestion, AssistVector
from forum.models.coding import CoderCode, CodeSettlement
from forum.models.committee import (
    QUESTION_KINDS,
    ROUND_KINDS,
    Answer,
    Ballot,
    Process,
    QuestionSource,
    Round,
    RoundOption,
    RoundQuestion,
    RoundResponse,
)
from forum.models.community import (
    JOIN_POLICIES,
    MEMBERSHIP_STATES,
    ROLES,
    VISIBILITIES,
    Community,
    Invitation,
    Membership,
    Resource,
)
from forum.models.discussion import NOTIFICATION_KINDS, WATCH_LEVELS, Notification, PostUseful, ThreadRead, Watch
from forum.models.forum import (
    PAIR_STATUSES,
    PRE_MODERATION,
    THREAD_KINDS,
    Forum,
    ForumPair,
    Post,
    Revision,
    TextRevision,
    Theme,
    Thread,
)
from forum.models.login_session import LoginSession
from forum.models.moderation import (
    FLAG_REASONS,
    FLAG_RESOLUTIONS,
    QUOTE_MAX_LENGTH,
    Flag,
    ModerationLog,
    PostTheme,
    ReportQuote,
    SynthesisNote,
)
from forum.models.newsletter import NEWSLETTER_STATES, Newsletter
from forum.models.ops import CacheGeneration, SchedulerLease
from forum.models.outbox import OutboxMessage
from forum.models.search import SearchDocument, SearchWord
from forum.models.types import utcnow
from forum.models.user import GENDERS, SECTORS, User
from forum.models.webinar import (
    REGISTRATION_STATES,
    SPEAKER_ROLES,
    WEBINAR_STATES,
    Registration,
    Webinar,
    WebinarSpeaker,
)

__all__ = [
    "FLAG_REASONS", "FLAG_RESOLUTIONS", "Flag", "ModerationLog", "PostTheme", "QUOTE_MAX_LENGTH", "ReportQuote",
    "SynthesisNote",
    "NEWSLETTER_STATES", "Newsletter",
    "Community", "Forum", "Invitation", "MEMBERSHIP_STATES", "Resource", "ForumPair", "GENDERS", "JOIN_POLICIES", "Membership",
    "NOTIFICATION_KINDS", "Notification", "OutboxMessage", "Post", "PostUseful", "ROLES",
    "PAIR_STATUSES", "PRE_MODERATION", "Revision", "SECTORS", "TextRevision", "Theme", "SearchDocument", "SearchWord", "THREAD_KINDS", "Thread", "ThreadRead", "User",
    "VISIBILITIES", "WATCH_LEVELS", "Watch", "utcnow",
    "SchedulerLease", "CacheGeneration", "LoginSession",
    "AssistSibling", "AssistState", "AssistSuggestion", "AssistVector", "CodeSettlement", "CoderCode",
    "QUESTION_KINDS", "ROUND_KINDS", "Answer", "Ballot", "Process", "QuestionSource", "Round", "RoundOption",
    "RoundQuestion", "RoundResponse",
    "REGISTRATION_STATES", "SPEAKER_ROLES", "WEBINAR_STATES", "Registration", "Webinar", "WebinarSpeaker",
]
