"""The OpenAPI 3.0 description of /api/v1, served at /api/v1/openapi.json.  Kept by hand beside
web/api.py; tests/test_api_fuzz.py fuzzes the API from this document, so a drift shows."""

_ERROR = {"description": "refused", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _errors(*codes):
    return {str(code): _ERROR for code in codes}


def _json(ref, description):
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{ref}"}}}}


_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_POST = {"type": "object", "nullable": True, "required": ["id", "title"],
         "properties": {"id": {"type": "integer"}, "title": {"type": "string"}}}
_MOMENT = {"type": "string", "format": "date-time", "nullable": True}
_FILE_ID = {"name": "file_id", "in": "path", "required": True, "schema": _ID,
            "description": "the file's id"}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"],
              "properties": {"error": {"type": "string"}}},
    "Post": _POST,
    "Movement": {"type": "object", "required": ["id", "kind", "at"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "at": _MOMENT,
        "from_post": _POST, "to_post": _POST,
        "from_user": {"type": "string", "nullable": True},
        "step": {"type": "string"}, "choice": {"type": "string", "nullable": True},
        "remark": {"type": "string", "nullable": True}}},
    "File": {"type": "object",
             "required": ["id", "number", "subject", "status", "holders", "choices", "track"],
             "properties": {
                 "id": {"type": "integer"}, "number": {"type": "string"},
                 "subject": {"type": "string"}, "priority": {"type": "string"},
                 "category": {"type": "string"}, "status": {"type": "string"},
                 "outcome": {"type": "string", "nullable": True},
                 "office": {"type": "string"}, "created_at": _MOMENT,
                 "holders": {"type": "array", "items": {"type": "object", "properties": {
                     "task_id": {"type": "integer"}, "step": {"type": "string"},
                     "post": _POST, "since": _MOMENT, "due_at": _MOMENT,
                     "users": {"type": "array", "items": {"type": "string"}}}}},
                 "choices": {"type": "array", "items": {"type": "object", "properties": {
                     "task_id": {"type": "integer"}, "step": {"type": "string"}, "post": _POST,
                     "choices": {"type": "array", "items": {"type": "object", "properties": {
                         "choice": {"type": "string"},
                         "next_role": {"type": "string", "nullable": True},
                         "posts": {"type": "array", "items": _POST}}}}}}},
                 "track": {"type": "array", "items": {"$ref": "#/components/schemas/Movement"}}}},
    "Track": {"type": "object", "required": ["number", "track"], "properties": {
        "number": {"type": "string"},
        "track": {"type": "array", "items": {"$ref": "#/components/schemas/Movement"}}}},
    "Inbox": {"type": "object", "required": ["files"], "properties": {"files": {
        "type": "array", "items": {"type": "object", "properties": {
            "file_id": {"type": "integer"}, "number": {"type": "string"},
            "subject": {"type": "string"}, "priority": {"type": "string"},
            "task_id": {"type": "integer"}, "step": {"type": "string"},
            "post": {"type": "string"}, "since": _MOMENT, "due_at": _MOMENT,
            "overdue": {"type": "boolean"}, "pending_days": {"type": "integer"},
            "sender": {"type": "string"}}}}}},
    "Receipt": {"type": "object", "required": ["id", "number", "status"], "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"}, "subject": {"type": "string"},
        "sender": {"type": "string"}, "received_on": {"type": "string", "format": "date"},
        "mode": {"type": "string"}, "status": {"type": "string"},
        "holder_post": {"type": "string"}, "document": {"type": "string", "nullable": True}}},
    "NewFile": {"type": "object", "required": ["route", "subject"], "properties": {
        "office": {"type": "string", "description": "office code (default: your first office)"},
        "route": {"type": "string", "description": "route key, e.g. land_mutation"},
        "subject": {"type": "string", "maxLength": 500},
        "priority": {"type": "string",
                     "enum": ["Normal", "Priority", "Top Priority", "Immediate"]},
        "category": {"type": "string"}, "note": {"type": "string"}}},
    "Act": {"type": "object", "required": ["choice"], "properties": {
        "choice": {"type": "string", "description": "one of the choices the file offers you"},
        "remark": {"type": "string"},
        "reason": {"type": "string", "description": "why the file was kept past its limit"},
        "task_id": {**_ID, "description": "the step you saw (a stale one gets 409)"},
        "to_post_id": {**_ID, "description": "the receiving post, when several could"}}},
    "NewReceipt": {"type": "object", "required": ["subject", "sender"], "properties": {
        "office": {"type": "string"}, "subject": {"type": "string"},
        "sender": {"type": "string"}, "sender_address": {"type": "string"},
        "letter_number": {"type": "string"},
        "letter_date": {"type": "string", "format": "date"},
        "received_on": {"type": "string", "format": "date"},
        "mode": {"type": "string", "enum": ["By post", "By hand", "Email", "Portal", "Fax"]},
        "document": {"type": "object", "required": ["filename", "content_base64"],
                     "properties": {"filename": {"type": "string"},
                                    "content_base64": {"type": "string", "format": "byte"}},
                     "description": "the scanned letter (PDF, PNG, JPEG or TIFF)"}}},
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Sanchika API", "version": "1",
             "description": "Open files, diarise receipts, act on steps and read the track with "
                            "a user's token and that user's rights. Make a token on the "
                            "'API tokens' page or with 'sanchika token create --as LOGIN'."},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                   "schemas": SCHEMAS},
    "paths": {
        "/api/v1/files": {"post": {
            "summary": "Open a file", "operationId": "openFile",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/NewFile"}}}},
            "responses": {"201": _json("File", "the file opened"), **_errors(400, 401, 403, 404)}}},
        "/api/v1/files/{ref}": {"get": {
            "summary": "A file: who holds it, the choices open to you, its track",
            "operationId": "getFile",
            "parameters": [{"name": "ref", "in": "path", "required": True,
                            "schema": {"type": "string"},
                            "description": "the file's id or its number (SADAR/REV/2026/0001)"}],
            "responses": {"200": _json("File", "the file"), **_errors(400, 401, 403, 404)}}},
        "/api/v1/files/{file_id}/track": {"get": {
            "summary": "The file's track", "operationId": "getTrack",
            "parameters": [_FILE_ID],
            "responses": {"200": _json("Track", "every movement in order"),
                          **_errors(401, 403, 404)}}},
        "/api/v1/files/{file_id}/act": {"post": {
            "summary": "Complete the step you hold with one of its choices",
            "operationId": "act", "parameters": [_FILE_ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Act"}}}},
            "responses": {"200": _json("File", "the file after the action"),
                          **_errors(400, 401, 403, 404, 409)}}},
        "/api/v1/inbox": {"get": {
            "summary": "Files waiting at your posts", "operationId": "inbox",
            "parameters": [{"name": "priority", "in": "query", "required": False,
                            "schema": {"type": "string"}},
                           {"name": "q", "in": "query", "required": False,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json("Inbox", "your inbox"), **_errors(400, 401)}}},
        "/api/v1/receipts": {"post": {
            "summary": "Diarise an incoming letter (JSON with base64, or multipart)",
            "operationId": "diariseReceipt",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/NewReceipt"}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["subject", "sender"],
                                                   "properties": {
                    "office": {"type": "string"}, "subject": {"type": "string"},
                    "sender": {"type": "string"}, "sender_address": {"type": "string"},
                    "letter_number": {"type": "string"}, "letter_date": {"type": "string"},
                    "received_on": {"type": "string"}, "mode": {"type": "string"},
                    "document": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json("Receipt", "the receipt diarised"),
                          **_errors(400, 401, 403, 404)}}},
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi", "security": [],
            "responses": {"200": {"description": "the OpenAPI description",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    },
}
