"""All models, importable from one place: `from forum.models import User, Post`."""
from forum.models.community import JOIN_POLICIES, ROLES, VISIBILITIES, Community, Membership
from forum.models.forum import THREAD_KINDS, Forum, ForumPair, Post, Revision, Thread
from forum.models.outbox import OutboxMessage
from forum.models.types import utcnow
from forum.models.user import GENDERS, SECTORS, User

__all__ = [
    "Community", "Forum", "ForumPair", "GENDERS", "JOIN_POLICIES", "Membership",
    "OutboxMessage", "Post", "ROLES", "Revision", "SECTORS", "THREAD_KINDS",
    "Thread", "User", "VISIBILITIES", "utcnow",
]
