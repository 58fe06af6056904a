import pytest
from django.test import Client

from governance.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_login_returns_a_token_that_authenticates_later_calls(api):
    UserFactory(username="alice")
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "pass-1234"}, format="json")
    assert response.status_code == 200
    token = response.data["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/places/").status_code == 200


def test_token_login_with_a_wrong_password_answers_400_with_a_detail(api):
    UserFactory(username="alice")
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.data["detail"]


def test_the_openapi_schema_describes_the_api():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/places/{id}/coverage/" in schema["paths"]
    assert "/api/v1/role-assignments/" in schema["paths"]


def test_the_api_documentation_page_is_served_without_the_network():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content.lower()


def test_the_session_login_page_is_in_chinese():
    response = Client().get("/login/")
    assert "登录" in response.content.decode()


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def _schema_response(schema, path, method="get", code="200"):
    content = schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]
    if "$ref" in content:
        return schema["components"]["schemas"][content["$ref"].rsplit("/", 1)[1]]
    return content


@pytest.mark.parametrize(
    ("path", "url", "shape"),
    [
        ("/api/v1/places/{id}/children/", "/api/v1/places/{estate}/children/", "page"),
        ("/api/v1/places/{id}/descendants/", "/api/v1/places/{estate}/descendants/", "page"),
        ("/api/v1/places/{id}/ancestors/", "/api/v1/places/{estate}/ancestors/", "page"),
        ("/api/v1/places/{id}/multi-post-holders/", "/api/v1/places/{estate}/multi-post-holders/", "list"),
        ("/api/v1/places/{id}/", "/api/v1/places/{estate}/", "object"),
    ],
)
def test_governance_answers_have_the_shape_the_schema_declares(api, cast, world, path, url, shape):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    declared = _schema_response(schema, path)
    answer = api.as_user(cast["secretary_a"]).get(url.format(estate=world["estate_a"].pk)).json()
    if shape == "page":
        assert set(declared["properties"]) >= {"count", "results"}
        assert isinstance(answer, dict) and isinstance(answer["results"], list)
    elif shape == "list":
        assert declared["type"] == "array"
        assert isinstance(answer, list)
    else:
        assert declared.get("type", "object") == "object" and isinstance(answer, dict)


def test_a_place_update_answers_the_whole_place_as_the_schema_says(api, cast, world):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    declared = _schema_response(schema, "/api/v1/places/{id}/", "patch")
    answer = api.as_user(cast["secretary_a"]).patch(
        f"/api/v1/places/{world['estate_a'].pk}/", {"name": "新名"}, format="json"
    )
    assert set(answer.json()) == set(declared["properties"])
