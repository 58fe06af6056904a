"""The governance layer: the place tree, the party organization tree, people, posts, users and roles."""

from .audit import AuditEvent
from .coverage import CoverageSnapshot
from .organizations import Organization, OrgFunction, OrgKind
from .people import Person, Post, PostBody, PostKind
from .places import Place, PlaceKind
from .rules import DistrictRule
from .users import Role, RoleAssignment, User

__all__ = [
    "AuditEvent",
    "CoverageSnapshot",
    "DistrictRule",
    "OrgFunction",
    "OrgKind",
    "Organization",
    "Person",
    "Place",
    "PlaceKind",
    "Post",
    "PostBody",
    "PostKind",
    "Role",
    "RoleAssignment",
    "User",
]
