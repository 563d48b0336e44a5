"""The OpenAPI schema is served, valid, and describes every endpoint: an
example for every request body and success answer, error bodies with a
code, and the Idempotency-Key on every POST."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

READ_PATHS = {
    "/api/v1/customers/{customer_id}",
    "/api/v1/accounts/search",
    "/api/v1/accounts/{number}",
    "/api/v1/accounts/{number}/agreements",
    "/api/v1/accounts/{number}/balances",
    "/api/v1/accounts/{number}/transactions",
}


@pytest.fixture
def schema(api, db):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def has_example(schema, node) -> bool:
    node = resolve(schema, node)
    if node.get("examples") or node.get("example") is not None:
        return True
    if node.get("type") == "array":
        return has_example(schema, node["items"])
    return False


def test_openapi_schema_is_valid_and_lists_the_read_endpoints(schema):
    validate(schema)
    assert READ_PATHS <= set(schema["paths"])
    assert all(set(methods) == {"get"} for path, methods in schema["paths"].items() if path in READ_PATHS)
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path in READ_PATHS:
        operation = schema["paths"][path]["get"]
        assert operation["security"] == [{"ApiTokenAuth": []}], path
        assert {"200", "401", "403"} <= set(operation["responses"]), path


def test_every_endpoint_has_an_example_of_its_body_and_of_its_answer(schema):
    missing = []
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                content = response.get("content", {}).get("application/json")
                if content is not None and not has_example(schema, content["schema"]):
                    missing.append(f"{method.upper()} {path} answer {status}")
        body = operation.get("requestBody", {}).get("content", {})
        for media, content in body.items():
            if media == "application/json" and not has_example(schema, content["schema"]):
                missing.append(f"{method.upper()} {path} body")
    assert not missing


def test_every_operation_has_an_example_request(schema):
    """A JSON body has a schema example (checked above); a file upload, whose body is a form, has a
    curl example (x-codeSamples); an operation with no body needs only its path."""
    missing = []
    for path, method, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {})
        if "multipart/form-data" in body and not operation.get("x-codeSamples"):
            missing.append(f"{method.upper()} {path}: a file upload without a curl example")
        for media in body:
            if media not in ("application/json", "multipart/form-data"):
                missing.append(f"{method.upper()} {path}: unexpected body {media}")
    assert not missing
    uploads = [path for path, method, operation in operations(schema)
               if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})]
    assert "/api/v1/payment-files/lockbox" in uploads and "/api/v1/read-files" in uploads


def test_every_error_answer_is_a_problem_with_a_code(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"code", "message"} <= set(problem["required"])
    for path, _method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert resolve(schema, response["content"]["application/json"]["schema"]) == problem, (path, status)


def test_operation_ids_are_unique_view_names(schema):
    ids = [operation["operationId"] for _path, _method, operation in operations(schema)]
    assert len(ids) == len(set(ids))
    assert schema["paths"]["/api/v1/accounts/{number}"]["get"]["operationId"] == "get_account"


def test_every_post_requires_an_idempotency_key_and_has_an_operation_id(schema):
    posts = [(path, operation) for path, method, operation in operations(schema) if method == "post"]
    assert posts
    for path, operation in posts:
        keys = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert len(keys) == 1 and keys[0]["required"], path
        assert not operation["operationId"].startswith("ratepayer_"), path  # named, not generated
        assert {"400", "403", "409", "422"} <= set(operation["responses"]), path


def test_docs_page_is_served_from_local_static_files(api, db):
    response = api.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html  # vendored, no third-party CDN
