"""Schemathesis fuzzes the live API with its own OpenAPI document: no 500, answers conform."""

import subprocess
import sys
from pathlib import Path

from tests.web.test_api_v1 import world  # noqa: F401  (the seeded organisation and keys)

ST = Path(sys.executable).with_name("st")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def test_schemathesis_finds_no_server_error_and_no_mismatch(app, live_server, world, tmp_path):  # noqa: F811
    # Fuzz the endpoints, not the limiter (its 429 has its own tests in test_rate_limits.py).
    app.config["RATE_LIMIT_ENABLED"] = False
    token = world["write"]["Authorization"]
    command = [
        str(ST),
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--url",
        f"{live_server.url}/api/v1",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: {token}",
        "--max-examples",
        "25",
        "--max-time",
        "30",
        "--workers",
        "1",
        "--seed",
        "7",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
