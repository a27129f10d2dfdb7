"""The API fuzzed from its own OpenAPI description (schemathesis, in-process on the WSGI app):
whatever arrives, the answer is a documented status with a body that matches the document,
never a 500.  The examples are bounded so the run stays short."""

from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, openapi
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)

from workflows.files import filing
from workflows.org import tokens

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 40  # per operation: a few seconds each on both databases


def test_the_api_survives_its_own_description(app, session, sadar, people):
    filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                     subject="Mutation of Khata 12")  # something real to find and act on
    _row, token = tokens.create_token(session, people.manoj, "fuzz")
    # schemathesis's WSGI calls ask for gzip but read the body undecoded: ask for none
    auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    schema = openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6  # every operation but the document itself, which is not listed
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            response = case.call(headers=auth)
            case.validate_response(response, checks=CHECKS)
        fuzz()


def test_input_outside_the_description_is_refused_in_json_never_a_500(app, session, sadar,
                                                                     people):
    """Cases made to break the description (wrong types, missing fields, overlong texts, values
    out of range, bodies of other types): each is answered in JSON, a refusal with its
    sentence, and nothing crashes."""
    filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                     subject="Mutation of Khata 13")
    _row, token = tokens.create_token(session, people.manoj, "fuzz")
    auth = {"Authorization": f"Bearer {token}"}
    schema = openapi.from_wsgi("/api/v1/openapi.json", app)
    for operation in [result.ok() for result in schema.get_all_operations()]:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(GenerationMode.NEGATIVE))
        def fuzz(case):
            response = case.call(headers=auth)
            case.validate_response(response, checks=[not_a_server_error])
            assert response.headers.get("content-type") == ["application/json"], response.text
            if response.status_code >= 400:  # some "negative" cases are fine by us (an extra field)
                assert response.json()["error"], response.text
        fuzz()
