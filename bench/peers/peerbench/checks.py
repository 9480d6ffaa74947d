"""Before anything is timed: does every system return the same data?

Read scenarios: each system's answer is brought to canonical form; the systems whose
answers agree with the largest group (the raw SQL answer breaks a tie) are timed, the others
are refused with the first difference. Mutations: the answer must echo exactly the row that
was asked for, without errors.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from peerbench.canonical import canonical, first_difference


@dataclass
class Verdict:
    ok: bool
    note: str = ""


def post(url: str, body: str, authorization: str | None, *, attempts: int = 6) -> tuple[int, Any, dict[str, str]]:
    """POST once; a 503 (the database restarting: other work shares this machine) is retried
    for a few seconds before it counts."""
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    for _ in range(attempts - 1):
        response = httpx.post(url, content=body, headers=headers, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(2)
    else:
        response = httpx.post(url, content=body, headers=headers, timeout=30)
    try:
        payload = response.json()
    except json.JSONDecodeError:
        payload = {"errors": [{"message": f"not JSON: {response.text[:200]}"}]}
    return response.status_code, payload, dict(response.headers)


def graphql_data(status: int, payload: Any) -> tuple[Any, str | None]:
    """(data, error message): an HTTP error or any GraphQL error counts as a failure."""
    if status != 200:
        return None, f"HTTP {status}: {json.dumps(payload)[:300]}"
    if isinstance(payload, dict) and payload.get("errors"):
        return None, "GraphQL errors: " + "; ".join(str(e.get("message")) for e in payload["errors"])[:300]
    if not isinstance(payload, dict) or "data" not in payload:
        return None, f"no data in {json.dumps(payload)[:200]}"
    return payload["data"], None


def agree(answers: dict[str, Any], rules: Any, tie_breaker: str) -> dict[str, Verdict]:
    """Group canonical answers; the largest group (ties: the one holding tie_breaker) wins."""
    canon: dict[str, str] = {}
    verdicts: dict[str, Verdict] = {}
    for system, data in answers.items():
        try:
            canon[system] = json.dumps(canonical(data, rules), sort_keys=True)
        except (ValueError, TypeError, KeyError) as error:
            verdicts[system] = Verdict(False, f"answer cannot be normalised: {error}")
    groups: dict[str, list[str]] = {}
    for system, text in canon.items():
        groups.setdefault(text, []).append(system)
    if not groups:
        return verdicts
    best = max(groups.items(), key=lambda item: (len(item[1]), tie_breaker in item[1]))
    reference_system = best[1][0]
    if len(best[1]) < 2 and len(canon) > 1:
        # nobody agrees with anybody: nothing can be trusted
        for system in canon:
            verdicts[system] = Verdict(False, "no two systems returned the same data")
        return verdicts
    reference = json.loads(best[0])
    for system, text in canon.items():
        if text == best[0]:
            others = ", ".join(s for s in best[1] if s != system) or "nobody (the only system measured)"
            verdicts[system] = Verdict(True, f"same data as {others}")
        else:
            difference = first_difference(reference, json.loads(text))
            verdicts[system] = Verdict(False, f"answers differ from {reference_system}: {difference}")
    return verdicts


def expected_mutation(data: Any, rules: Any, expected: dict[str, Any]) -> Verdict:
    got = canonical(data, rules)
    want = canonical(expected, rules)
    difference = first_difference(want, got)
    return Verdict(difference is None, difference or "wrote and echoed the expected row")


def check_cached(system: Any, scenario: Any, fixtures: dict[str, Any], authorization: str | None,
                 uncached_answer: Any, uncached_verdict: Verdict | None) -> Verdict:
    """The cached read must answer like uncached jim, and really come from the cache."""
    if uncached_answer is None or not (uncached_verdict and uncached_verdict.ok):
        return Verdict(False, "uncached jim has no verified answer to compare with")
    body = scenario.body("jim", fixtures)
    post(system.url, body, authorization)
    status, payload, headers = post(system.url, body, authorization)
    data, error = graphql_data(status, payload)
    if error:
        return Verdict(False, error)
    if headers.get("x-cache", "").upper() != "HIT":
        return Verdict(False, f"second identical read was not a cache hit (X-Cache: {headers.get('x-cache', 'absent')})")
    verdict = agree({"jim": uncached_answer, "jim_cached": data}, scenario.normalise, "jim")
    return verdict["jim_cached"]
