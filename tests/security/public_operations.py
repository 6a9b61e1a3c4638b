"""THE allow-list: every operation any service answers without a token, and why (the platform's own
routes on every service, and a service's public API operations). Nothing else is
public (docs/security.md). The probe suite (tests/security) proves every other operation of every
OpenAPI document refuses a caller without a token."""

import os

PUBLIC_OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe for the supervisor; says only that the process answers",
    ("GET", "/readyz"): "readiness probe for the load balancer; names the failing dependency, no data",
    ("GET", "/metrics"): "Prometheus scrape (counters and timings by route template, no personal data); "
                         "keep the port off the public network",
    ("GET", "/openapi.json"): "the API contract, the same for every caller",
    ("GET", "/docs"): "the browsable page over /openapi.json (and its static files under /docs-static/)",
}

# Operations of one service's API that answer without a token, and why.
PUBLIC_API_OPERATIONS: dict[tuple[str, str, str], str] = {
    ("metrics", "POST", "/api/v1/spc"): "the SPC calculator over the numbers sent: it reads and stores nothing, "
                                        "like NHS England's Excel tool",
    ("metrics", "POST", "/api/v1/spc.svg"): "the same calculator, drawn as SVG: reads and stores nothing",
    ("ideas", "POST", "/api/v1/public/ideas"): "the public idea form for patients, carers and partners without an "
                                               "account: moderated before anyone sees it, rate-limited per client, "
                                               "bounded sizes, patient data refused",
    ("ideas", "GET", "/api/v1/followed-ideas/{token}"): "a public or anonymous submitter's private follow link: the "
                                                        "token is the credential (stored hashed); stage and history, "
                                                        "no names",
    ("notifications", "GET", "/api/v1/unsubscribe/{token}"): "what an email's unsubscribe link stops (the address "
                                                             "partly hidden): the signed token is the credential",
    ("notifications", "POST", "/api/v1/unsubscribe/{token}"): "one-click unsubscribe (RFC 8058): the signed token is "
                                                              "the credential, and it only turns emails off",
    ("training", "GET", "/api/v1/public/certificates/{code}"): "checks a certificate's verification code (60 random "
                                                               "bits, so unguessable): shows only what the "
                                                               "certificate itself shows (name, course, level, date)",
}


# Published stories and the tools library, when the trust opens them (WTGR_STORIES_PUBLIC, as the
# stories service under test reads it): drafts stay hidden (docs/stories.md).
STORIES_READS = ("/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/stories/by-slug/{slug}",
                 "/api/v1/stories/{story_id}/chart.svg", "/api/v1/projects/{project_id}/story",
                 "/api/v1/ideas/{idea_id}/stories", "/api/v1/resources", "/api/v1/resources/{resource_id}",
                 "/api/v1/resources/by-slug/{slug}",
                 "/api/v1/resources/{resource_id}/file")
if os.environ.get("WTGR_STORIES_PUBLIC", "").strip().lower() in ("1", "true", "yes", "on"):
    PUBLIC_API_OPERATIONS.update({("stories", "GET", path): "published stories and the tools library, opened to "
                                  "everyone by WTGR_STORIES_PUBLIC" for path in STORIES_READS})
