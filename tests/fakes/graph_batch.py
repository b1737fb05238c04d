"""JSON batching ($batch) for the fake Microsoft Graph: at most 20 requests, unique ids,
Content-Type with a body, dependsOn (424 after a failed dependency), per-request status and headers
(a scripted 429 lands in one sub-response with its Retry-After)."""

from urllib.parse import parse_qsl, unquote, urlsplit

from werkzeug.datastructures import Headers

from .graph_payloads import graph_error
from .http_fake import Answer, Seen


class GraphBatchMixin:
    """POST /v1.0/$batch: each sub-request goes through the same routing as a top-level call."""

    def batch(self, seen: Seen) -> Answer:
        """POST /$batch: check the payload, run each request, collect the responses."""
        token, _error = self.bearer(seen)
        if token is None:
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            )
        requests = seen.json.get("requests") if isinstance(seen.json, dict) else None
        problem = self._batch_problem(requests)
        if problem:
            self.violation(f"$batch: {problem}")
            return graph_error(400, "BadRequest", f"Invalid batch payload: {problem}")
        responses, status_of = [], {}
        for item in requests:
            failed = [d for d in item.get("dependsOn", []) if status_of.get(d, 424) >= 400]
            if failed:
                answer = graph_error(424, "FailedDependency", "A dependency failed.")
            else:
                answer = self._batch_one(seen, item)
            status_of[item["id"]] = answer.status
            response = {
                "id": item["id"],
                "status": answer.status,
                "headers": {
                    **({"Content-Type": "application/json"} if answer.body is not None else {}),
                    **answer.headers,
                },
            }
            if answer.body is not None:
                response["body"] = answer.body
            responses.append(response)
        return Answer(200, {"responses": responses})

    def _batch_problem(self, requests) -> str:
        if not isinstance(requests, list) or not requests:
            return "'requests' must be a non-empty array"
        if len(requests) > 20:
            return f"{len(requests)} requests; at most 20 are allowed"
        ids = set()
        for item in requests:
            if not isinstance(item, dict) or not {"id", "method", "url"} <= set(item):
                return "every request needs id, method and url"
            if str(item["id"]).lower() in ids:
                return f"duplicate id {item['id']!r}"
            ids.add(str(item["id"]).lower())
            if "body" in item and "content-type" not in {
                h.lower() for h in (item.get("headers") or {})
            }:
                return f"request {item['id']!r} has a body but no Content-Type header"
            if str(item["url"]).startswith(("http://", "https://", "/v1.0")):
                return f"request {item['id']!r}: url must be relative to the version"
        return ""

    def _batch_one(self, outer: Seen, item: dict) -> Answer:
        failure = self._take_failure("batch")
        if failure is not None:
            return self.failure_answer(failure)
        url = urlsplit("/" + str(item["url"]).lstrip("/"))
        headers = Headers(list((item.get("headers") or {}).items()))
        if "Authorization" not in headers:
            headers["Authorization"] = outer.headers.get("Authorization", "")
        sub = Seen(
            method=str(item["method"]).upper(),
            path="/v1.0" + unquote(url.path),
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            json=item.get("body"),
            headers=headers,
            in_batch=True,
        )
        with self._lock:
            self.requests.append(sub)
        if sub.path == "/v1.0/$batch":
            self.violation("$batch: nested batch requests are not allowed")
            return graph_error(400, "BadRequest", "Nested batch requests are not allowed.")
        answer = self.api(sub)
        sub.status = answer.status
        return answer
