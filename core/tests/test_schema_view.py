"""The schema endpoint builds the OpenAPI description once per process and language, not on every request."""

import pytest

from core.schema_view import CachedSchemaView


@pytest.mark.django_db
def test_the_schema_is_built_once_and_served_again(client, monkeypatch):
    monkeypatch.setattr(CachedSchemaView, "_built", {})
    builds = []
    get_schema = CachedSchemaView.generator_class.get_schema

    def counting(self, *args, **kwargs):
        builds.append(1)
        return get_schema(self, *args, **kwargs)

    monkeypatch.setattr(CachedSchemaView.generator_class, "get_schema", counting)
    first = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    second = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b'"/api/v1/votes/"' in first.content
    assert len(builds) == 1
