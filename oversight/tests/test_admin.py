"""The oversight admin: Chinese names on every model and field; records shown within scope, written only by services."""

import re

import pytest
from django.apps import apps
from django.urls import reverse

from governance.scoping import SYSTEM
from oversight import services
from oversight.tests.factories import assembly, days_ago

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_oversight_model_and_field_has_a_chinese_name():
    missing = []
    for model in apps.get_app_config("oversight").get_models():
        if not CJK.search(str(model._meta.verbose_name)):
            missing.append(model.__name__)
        for field in model._meta.get_fields():
            if field.auto_created or (not getattr(field, "concrete", False) and not field.many_to_many):
                continue
            if not CJK.search(str(field.verbose_name)):
                missing.append(f"{model.__name__}.{field.name}")
    assert missing == []


@pytest.mark.django_db
def test_a_secretary_sees_the_obligations_of_their_community_only_and_cannot_change_them(client, world, cast):
    a = services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(2), "A大会"), actor=SYSTEM)[0]
    b = services.obligations_for_meeting(meeting=assembly(world["estate_b"], days_ago(2), "B大会"), actor=SYSTEM)[0]
    client.force_login(cast["secretary_a"])
    listing = client.get(reverse("admin:oversight_obligation_changelist"))
    assert listing.status_code == 200
    assert a.title.encode() in listing.content and b"B\xe5\xa4\xa7\xe4\xbc\x9a" not in listing.content
    assert client.get(reverse("admin:oversight_obligation_change", args=[b.pk])).status_code == 302
    assert client.post(reverse("admin:oversight_obligation_delete", args=[a.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:oversight_obligation_add")).status_code == 403


@pytest.mark.django_db
def test_the_petition_admin_never_shows_the_petitioner_in_clear(client, world, cast):
    petition = services.petition_create(
        received_on=days_ago(1),
        place=world["estate_a"],
        category="property",
        channel="visit",
        summary="诉求",
        petitioner_name="王小明",
        actor=SYSTEM,
    )
    client.force_login(cast["admin"])
    page = client.get(reverse("admin:oversight_petition_change", args=[petition.pk]))
    assert page.status_code == 200 and "王小明" not in page.content.decode()
    assert "王**" in client.get(reverse("admin:oversight_petition_changelist")).content.decode()
