"""Google's Calendar v3 contract, read from the vendored discovery document.

google_calendar_v3.json is googleapiclient/discovery_cache/documents/calendar.v3.json from the
google-api-python-client 2.202.0 wheel (discovery revision 20261030), copied unchanged.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .google_payloads import event_instant
from .http_fake import parse_instant

DOCUMENT = json.loads((Path(__file__).with_name("google_calendar_v3.json")).read_text("utf-8"))
SERVICE_PATH = "/" + DOCUMENT["servicePath"].strip("/")  # "/calendar/v3"
SCOPES = frozenset(DOCUMENT["auth"]["oauth2"]["scopes"])


@dataclass(frozen=True)
class Method:
    """One method of the discovery document with its path pattern."""

    id: str  # "calendar.events.list"
    http_method: str
    pattern: re.Pattern = field(repr=False)
    definition: dict = field(repr=False)

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes any one of which allows the method."""
        return frozenset(self.definition.get("scopes", ()))

    @property
    def request_schema(self) -> str | None:
        """The schema name of the method's request body, if any."""
        return (self.definition.get("request") or {}).get("$ref")


def _methods() -> list[Method]:
    found = []
    for resource in DOCUMENT["resources"].values():
        for definition in resource.get("methods", {}).values():
            path = definition["path"]
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
            pattern = re.compile(f"^{re.escape(SERVICE_PATH)}/{regex}$")
            found.append(Method(definition["id"], definition["httpMethod"], pattern, definition))
    # Literal segments win over placeholders ("events/import" before "events/{eventId}").
    found.sort(key=lambda m: m.definition["path"].count("{"))
    return found


METHODS = _methods()


def match(http_method: str, path: str) -> tuple[Method | None, dict, bool]:
    """The discovery method for a request, its path parameters, and whether the path exists."""
    path_known = False
    for method in METHODS:
        found = method.pattern.match(path)
        if found:
            path_known = True
            if method.http_method == http_method:
                return method, found.groupdict(), True
    return None, {}, path_known


def check_query(method: Method, query: dict, lists: dict | None = None) -> list[str]:
    """Problems with a request's query parameters against the method and global parameters."""
    allowed = {
        name: spec
        for name, spec in method.definition.get("parameters", {}).items()
        if spec.get("location") == "query"
    }
    allowed.update(DOCUMENT["parameters"])
    problems = []
    for name, value in query.items():
        spec = allowed.get(name)
        if spec is None:
            problems.append(f"{method.id}: unknown query parameter {name!r}")
            continue
        kind = spec.get("type")
        if kind == "boolean" and value not in ("true", "false"):
            problems.append(f"{method.id}: {name}={value!r} is not a boolean")
        elif kind == "integer" and not re.fullmatch(r"-?\d+", value):
            problems.append(f"{method.id}: {name}={value!r} is not an integer")
        elif "enum" in spec and value not in spec["enum"]:
            problems.append(f"{method.id}: {name}={value!r} not one of {spec['enum']}")
        elif spec.get("format") == "date-time" and parse_instant(value) is None:
            problems.append(f"{method.id}: {name}={value!r} is not an RFC 3339 instant with offset")
    for name, values in (lists or {}).items():
        if len(values) > 1 and name in allowed and not allowed[name].get("repeated"):
            problems.append(f"{method.id}: {name} given {len(values)} times; it is not repeated")
    for name, spec in method.definition.get("parameters", {}).items():
        if spec.get("required") and spec.get("location") == "query" and name not in query:
            problems.append(f"{method.id}: required query parameter {name!r} missing")
    return problems


def check_body(schema_name: str, body, where: str = "") -> list[str]:
    """Problems with a JSON body against a discovery schema: unknown fields and wrong types."""
    return _check(DOCUMENT["schemas"][schema_name], body, where or schema_name)


def _check(schema: dict, value, where: str) -> list[str]:
    if "$ref" in schema:
        schema = DOCUMENT["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        problems = []
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        if schema is DOCUMENT["schemas"]["EventDateTime"] and "dateTime" in value:
            if event_instant(value) is None:
                problems.append(
                    f"{where}.dateTime: {value['dateTime']!r} needs an offset or a known timeZone"
                )
            value = {k: v for k, v in value.items() if k != "dateTime"}
        for key, item in value.items():
            if key in properties:
                problems += _check(properties[key], item, f"{where}.{key}")
            elif extra is not None:
                problems += _check(extra, item, f"{where}.{key}")
            else:
                problems.append(f"{where}: unknown field {key!r}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        problems = []
        for index, item in enumerate(value):
            problems += _check(schema.get("items", {}), item, f"{where}[{index}]")
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string"]
        if schema.get("format") == "date-time" and parse_instant(value) is None:
            return [f"{where}: {value!r} is not an RFC 3339 instant with offset"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} not one of {schema['enum']}"]
        return []
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{where}: expected a boolean"]
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{where}: expected an integer"]
    return []


def parse_fields(text: str) -> dict:
    """Parse a partial-response `fields` selector ("items(id,start),nextPageToken") to a tree."""
    tree, index = _parse_list(text, 0)
    if index != len(text):
        raise ValueError(f"unexpected {text[index:]!r}")
    return tree


def _parse_list(text: str, index: int) -> tuple[dict, int]:
    tree: dict = {}
    while True:
        found = re.compile(r"[A-Za-z_@*][\w@*]*(?:/[A-Za-z_@*][\w@*]*)*").match(text, index)
        if not found:
            raise ValueError(f"field name expected at {index}")
        names = found.group().split("/")
        index = found.end()
        sub = None
        if index < len(text) and text[index] == "(":
            sub, index = _parse_list(text, index + 1)
            if index >= len(text) or text[index] != ")":
                raise ValueError("unbalanced parenthesis")
            index += 1
        node = tree
        for name in names[:-1]:
            node = {} if name in node and node[name] is None else node.setdefault(name, {})
        last = names[-1]
        node[last] = _merge(node.get(last, {}), sub) if last in node else sub
        if index < len(text) and text[index] == ",":
            index += 1
            continue
        return tree, index


def _merge(old, new):
    if old is None or new is None:
        return None
    return {**old, **new}


def select_fields(tree: dict | None, value):
    """Apply a parsed `fields` tree to a response body."""
    if tree is None or "*" in (tree or {}):
        return value
    if isinstance(value, list):
        return [select_fields(tree, item) for item in value]
    if isinstance(value, dict):
        return {key: select_fields(sub, value[key]) for key, sub in tree.items() if key in value}
    return value
