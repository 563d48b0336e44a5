"""The OpenAPI schema is served, valid, and describes every endpoint."""

from __future__ import annotations

from openapi_spec_validator import validate

EXPECTED_PATHS = {
    "/api/v1/customers/{customer_id}",
    "/api/v1/accounts/search",
    "/api/v1/accounts/{number}",
    "/api/v1/accounts/{number}/agreements",
    "/api/v1/accounts/{number}/balances",
    "/api/v1/accounts/{number}/transactions",
}


def test_openapi_schema_is_valid_and_lists_the_endpoints(api, db):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert EXPECTED_PATHS <= set(schema["paths"])
    assert all(set(methods) == {"get"} for path, methods in schema["paths"].items() if path in EXPECTED_PATHS)
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path in EXPECTED_PATHS:
        operation = schema["paths"][path]["get"]
        assert operation["security"] == [{"ApiTokenAuth": []}], path
        assert {"200", "401", "403"} <= set(operation["responses"]), path


def test_docs_page_is_served_from_local_static_files(api, db):
    response = api.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html  # vendored, no third-party CDN
