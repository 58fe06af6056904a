"""Factories of the governance layer. Trees are built through the services, so their rules hold."""

import factory

from governance import services
from governance.models import Person, Place, PlaceKind, User
from governance.scoping import SYSTEM


def place(kind: str, name: str, parent: Place | None = None, **extra) -> Place:
    return services.place_create(kind=kind, name=name, parent=parent, actor=SYSTEM, **extra)


def org(kind: str, name: str, place: Place, parent=None, **extra):
    return services.organization_create(kind=kind, name=name, place=place, parent=parent, actor=SYSTEM, **extra)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"居民{n:04d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    person = factory.SubFactory(PersonFactory)
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def district_world() -> dict[str, Place]:
    """A small district: two streets, a community in each, an estate in each with two buildings."""
    d = place(PlaceKind.DISTRICT, "江北区")
    s1 = place(PlaceKind.STREET, "观音桥街道", d)
    s2 = place(PlaceKind.STREET, "石马河街道", d)
    c1 = place(PlaceKind.COMMUNITY, "南桥苑社区", s1)
    c2 = place(PlaceKind.COMMUNITY, "石马河社区", s2)
    e1 = place(PlaceKind.ESTATE, "南方上格林", c1)
    e2 = place(PlaceKind.ESTATE, "石马河小区", c2)
    b1 = place(PlaceKind.BUILDING, "1栋", e1)
    b2 = place(PlaceKind.BUILDING, "2栋", e1)
    b3 = place(PlaceKind.BUILDING, "1栋", e2)
    return {
        "district": d,
        "street_a": s1,
        "street_b": s2,
        "community_a": c1,
        "community_b": c2,
        "estate_a": e1,
        "estate_b": e2,
        "building_a1": b1,
        "building_a2": b2,
        "building_b1": b3,
    }
