"""SQL for the stories schema. Functions take a unit of work; rows leave as dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.db import UnitOfWork
from shared.pagination import Listing

ALL_TAGS = ""  # the tag under which story_tags and resource_tags hold every published item
WORDS = "search @@ websearch_to_tsquery('english', %s)"  # `q`: words in the text (migration 0003)


@dataclass(frozen=True)
class Story:
    id: UUID
    slug: str
    title: str
    summary: str
    body: str
    learning: str
    team: list[dict[str, Any]]
    tags: list[str]
    state: str
    origin: str
    project_id: UUID | None
    idea_id: UUID | None
    chart: dict[str, Any] | None
    chart_svg: str | None
    audience: list[dict[str, Any]]
    editors: list[dict[str, Any]]
    version: int
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class Resource:
    id: UUID
    slug: str
    title: str
    summary: str
    body: str
    kind: str
    tags: list[str]
    link: str | None
    file_name: str | None
    content_type: str | None
    size_bytes: int | None
    sha256: str | None
    version: int
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class StoredFile:
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    content: bytes = field(repr=False)


STORY_COLUMNS = ("id, slug, title, summary, body, learning, team, tags, state, origin, project_id, idea_id, chart, "
                 "chart_svg, audience, editors, version, created_by, created_at, published_by, published_at")
STORY_SUMMARY_COLUMNS = "id, slug, title, summary, tags, state, project_id, idea_id, version, created_at, published_at"
PUBLISHED_COLUMNS = "id, slug, title, summary, tags, project_id, idea_id, version, created_at, published_at"
RESOURCE_COLUMNS = ("id, slug, title, summary, body, kind, tags, link, file_name, content_type, size_bytes, sha256, "
                    "version, created_by, created_at")
RESOURCE_SUMMARY_COLUMNS = "id, slug, title, summary, kind, tags, link, file_name, content_type, size_bytes, version"

# Every story, drafts included, newest first (editors); migration 0001 indexes it alone and by state.
STORIES = Listing("stories", "stories", STORY_SUMMARY_COLUMNS, "created_at timestamptz, id uuid", descending=True,
                  filters=("state",), search=WORDS)
# Published stories, newest published first, all of them (tag '') or one tag's; each list takes words (`q`).
PUBLISHED_STORIES = Listing("published_stories", "published_story_pages", PUBLISHED_COLUMNS,
                            "published_at timestamptz, id uuid", descending=True, scope=("tag",), search=WORDS)
# The tools library, A to Z, optionally one kind; by tag through its own view.
RESOURCES = Listing("resources", "resources", RESOURCE_SUMMARY_COLUMNS, "title text, id uuid", filters=("kind",),
                    search=WORDS)
TAGGED_RESOURCES = Listing("tagged_resources", "tagged_resource_pages", RESOURCE_SUMMARY_COLUMNS,
                           "title text, id uuid", scope=("tag",), filters=("kind",), search=WORDS)
# The stories an idea became (lineage), newest first, optionally one state.
IDEA_STORIES = Listing("idea_stories", "stories", STORY_SUMMARY_COLUMNS, "created_at timestamptz, id uuid",
                       descending=True, scope=("idea_id",), filters=("state",))


# -- stories ---------------------------------------------------------------------------------------

def add_story(uow: UnitOfWork, story_id: str, slug: str, fields: dict[str, Any], created_by: str) -> Story:
    row = uow.one(
        f"""INSERT INTO stories (id, slug, title, summary, body, learning, team, tags, origin, project_id, idea_id,
                                 chart, chart_svg, audience, editors, created_by)
            VALUES (%(id)s, %(slug)s, %(title)s, %(summary)s, %(body)s, %(learning)s, %(team)s, %(tags)s,
                    %(origin)s, %(project_id)s, %(idea_id)s, %(chart)s, %(chart_svg)s, %(audience)s, %(editors)s,
                    %(created_by)s)
            ON CONFLICT (project_id) DO NOTHING
            RETURNING {STORY_COLUMNS}""",
        {"id": story_id, "slug": slug, "created_by": created_by, "body": "", "learning": "", "team": [],
         "tags": [], "project_id": None, "idea_id": None, "chart": None, "chart_svg": None, "audience": [],
         "editors": [], **fields} | _json(fields, "team", "chart", "audience", "editors"),
    )
    return _story(row) if row else story_of_project(uow, str(fields["project_id"]))  # type: ignore[return-value]


def slug_taken(uow: UnitOfWork, slug: str) -> bool:
    return uow.one("SELECT 1 FROM stories WHERE slug = %s", (slug,)) is not None


def story(uow: UnitOfWork, story_id: str, *, for_update: bool = False) -> Story | None:
    lock = " FOR UPDATE" if for_update else ""
    return _story(uow.one(f"SELECT {STORY_COLUMNS} FROM stories WHERE id = %s{lock}", (story_id,)))


def story_by_slug(uow: UnitOfWork, slug: str) -> Story | None:
    return _story(uow.one(f"SELECT {STORY_COLUMNS} FROM stories WHERE slug = %s", (slug,)))


def story_of_project(uow: UnitOfWork, project_id: str) -> Story | None:
    return _story(uow.one(f"SELECT {STORY_COLUMNS} FROM stories WHERE project_id = %s", (project_id,)))


def stories_of_idea(uow: UnitOfWork, idea_id: str) -> list[Story]:
    rows = uow.all(f"SELECT {STORY_COLUMNS} FROM stories WHERE idea_id = %s ORDER BY created_at", (idea_id,))
    return [_story(row) for row in rows]  # type: ignore[misc]


EDITABLE_STORY_FIELDS = ("title", "summary", "body", "learning", "team", "tags")


def update_story(uow: UnitOfWork, story_id: str, changes: dict[str, Any]) -> Story:
    names = [name for name in EDITABLE_STORY_FIELDS if name in changes]
    assignments = "".join(f"{name} = %({name})s, " for name in names)
    row = uow.one(f"UPDATE stories SET {assignments}version = version + 1 WHERE id = %(id)s RETURNING {STORY_COLUMNS}",
                  {**changes, "id": story_id} | _json(changes, "team"))
    updated = _story(row)
    assert updated is not None
    if updated.state == "published":
        _index_story_tags(uow, updated)
    return updated


def publish_story(uow: UnitOfWork, story_id: str, published_by: str) -> Story:
    row = uow.one(f"""UPDATE stories SET state = 'published', published_by = %s, published_at = now(),
                             version = version + 1
                       WHERE id = %s RETURNING {STORY_COLUMNS}""", (published_by, story_id))
    published = _story(row)
    assert published is not None
    _index_story_tags(uow, published)
    return published


def _index_story_tags(uow: UnitOfWork, published: Story) -> None:
    uow.execute("DELETE FROM story_tags WHERE story_id = %s", (published.id,))
    uow.execute("INSERT INTO story_tags (tag, story_id, published_at) SELECT unnest(%s::text[]), %s, %s",
                ([ALL_TAGS, *published.tags], published.id, published.published_at))


def _story(row: dict[str, Any] | None) -> Story | None:
    return Story(**row) if row else None


# -- resources -------------------------------------------------------------------------------------

def add_resource(uow: UnitOfWork, resource_id: str, slug: str, fields: dict[str, Any], created_by: str) -> Resource:
    row = uow.one(
        f"""INSERT INTO resources (id, slug, title, summary, body, kind, tags, link, created_by)
            VALUES (%(id)s, %(slug)s, %(title)s, %(summary)s, %(body)s, %(kind)s, %(tags)s, %(link)s, %(created_by)s)
            RETURNING {RESOURCE_COLUMNS}""",
        {"id": resource_id, "slug": slug, "created_by": created_by, "body": "", "tags": [], "link": None, **fields},
    )
    resource = Resource(**row)  # type: ignore[arg-type]
    _index_resource_tags(uow, resource)
    return resource


def resource_slug_taken(uow: UnitOfWork, slug: str) -> bool:
    return uow.one("SELECT 1 FROM resources WHERE slug = %s", (slug,)) is not None


def resource(uow: UnitOfWork, resource_id: str, *, for_update: bool = False) -> Resource | None:
    lock = " FOR UPDATE" if for_update else ""
    row = uow.one(f"SELECT {RESOURCE_COLUMNS} FROM resources WHERE id = %s{lock}", (resource_id,))
    return Resource(**row) if row else None


def resource_by_slug(uow: UnitOfWork, slug: str) -> Resource | None:
    row = uow.one(f"SELECT {RESOURCE_COLUMNS} FROM resources WHERE slug = %s", (slug,))
    return Resource(**row) if row else None


EDITABLE_RESOURCE_FIELDS = ("title", "summary", "body", "tags", "link")


def update_resource(uow: UnitOfWork, resource_id: str, changes: dict[str, Any]) -> Resource:
    names = [name for name in EDITABLE_RESOURCE_FIELDS if name in changes]
    assignments = "".join(f"{name} = %({name})s, " for name in names)
    row = uow.one(f"UPDATE resources SET {assignments}version = version + 1 WHERE id = %(id)s "
                  f"RETURNING {RESOURCE_COLUMNS}", {**changes, "id": resource_id})
    updated = Resource(**row)  # type: ignore[arg-type]
    _index_resource_tags(uow, updated)
    return updated


def store_file(uow: UnitOfWork, resource_id: str, file: StoredFile, uploaded_by: str) -> Resource:
    uow.execute("""INSERT INTO resource_files (resource_id, content, uploaded_by) VALUES (%s, %s, %s)
                   ON CONFLICT (resource_id) DO UPDATE
                   SET content = excluded.content, uploaded_by = excluded.uploaded_by, uploaded_at = now()""",
                (resource_id, file.content, uploaded_by))
    row = uow.one(f"""UPDATE resources SET file_name = %s, content_type = %s, size_bytes = %s, sha256 = %s,
                                           version = version + 1
                       WHERE id = %s RETURNING {RESOURCE_COLUMNS}""",
                  (file.file_name, file.content_type, file.size_bytes, file.sha256, resource_id))
    return Resource(**row)  # type: ignore[arg-type]


def stored_file(uow: UnitOfWork, resource_id: str) -> StoredFile | None:
    row = uow.one("""SELECT r.file_name, r.content_type, r.size_bytes, r.sha256, f.content
                       FROM resources r JOIN resource_files f ON f.resource_id = r.id WHERE r.id = %s""",
                  (resource_id,))
    return StoredFile(**row) if row else None


def _index_resource_tags(uow: UnitOfWork, resource: Resource) -> None:
    uow.execute("DELETE FROM resource_tags WHERE resource_id = %s", (resource.id,))
    uow.execute("INSERT INTO resource_tags (tag, resource_id, kind, title) SELECT unnest(%s::text[]), %s, %s, %s",
                (resource.tags, resource.id, resource.kind, resource.title))


# -- read models -------------------------------------------------------------------------------------

def record_kpi_value(uow: UnitOfWork, payload: dict[str, Any]) -> bool:
    """Keep the newest revision of a KPI's month (an older revision arriving late changes nothing);
    False when the payload was such a late one."""
    kept = uow.execute(
        """INSERT INTO kpi_series (kpi_code, unit_code, period, value, revision)
           VALUES (%(kpi_code)s, %(unit_code)s, %(period)s, %(value)s, %(revision)s)
           ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value, revision = excluded.revision
           WHERE kpi_series.revision <= excluded.revision""", payload).rowcount == 1
    uow.execute(
        """INSERT INTO kpi_names (kpi_code, unit_code, kpi_name, unit_name, unit_of_measure)
           VALUES (%(kpi_code)s, %(unit_code)s, %(kpi_name)s, %(unit_name)s, %(unit_of_measure)s)
           ON CONFLICT (kpi_code, unit_code) DO UPDATE
           SET kpi_name = excluded.kpi_name, unit_name = excluded.unit_name,
               unit_of_measure = excluded.unit_of_measure""", payload)
    return kept


def record_charted_values(uow: UnitOfWork, kpi_code: str, unit_code: str, points: list[tuple[str, float]]) -> None:
    """The months as the KPI's chart holds them now (a kpi.updated's series), in one statement:
    each month's value, its revision kept; a month whose value is unchanged is not written. A month
    named twice keeps its last value (one row can be upserted once per statement)."""
    months = dict(points)
    if not months:
        return
    uow.execute(
        """INSERT INTO kpi_series (kpi_code, unit_code, period, value, revision)
           SELECT %s, %s, period, value, 0 FROM unnest(%s::text[], %s::float8[]) AS point (period, value)
           ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value
           WHERE kpi_series.value IS DISTINCT FROM excluded.value""",
        (kpi_code, unit_code, list(months), list(months.values())))


@dataclass(frozen=True)
class Series:
    name: str
    unit_of_measure: str
    values: list[tuple[str, float]]


def series(uow: UnitOfWork, kpi_code: str, unit_code: str) -> Series | None:
    names = uow.one("SELECT kpi_name, unit_name, unit_of_measure FROM kpi_names WHERE kpi_code = %s AND unit_code = %s",
                    (kpi_code, unit_code))
    if names is None:
        return None
    rows = uow.all("SELECT period, value FROM kpi_series WHERE kpi_code = %s AND unit_code = %s ORDER BY period",
                   (kpi_code, unit_code))
    return Series(f"{names['kpi_name']}, {names['unit_name']}", names["unit_of_measure"],
                  [(row["period"], row["value"]) for row in rows])


def record_project_start(uow: UnitOfWork, project_id: str, month: str) -> None:
    """The first month the project was active or tested a change; a later one (a restart after a
    pause, a later cycle) keeps the earliest."""
    uow.execute("""INSERT INTO project_starts (project_id, started) VALUES (%s, %s)
                   ON CONFLICT (project_id) DO UPDATE SET started = least(project_starts.started, excluded.started)""",
                (project_id, month))


def project_start(uow: UnitOfWork, project_id: str) -> str | None:
    row = uow.one("SELECT started FROM project_starts WHERE project_id = %s", (project_id,))
    return row["started"] if row else None


def _json(values: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: Jsonb(values[name]) for name in names if name in values and values[name] is not None}


# -- sustained improvements (project_sustainment, migration 0004) -------------------------------------

def record_completion(uow: UnitOfWork, project_id: str, completed_on: date, outcome: dict[str, Any] | None) -> None:
    """When the project completed and its outcome series (a redelivery changes nothing)."""
    uow.execute(
        """INSERT INTO project_sustainment (project_id, completed_on, kpi_code, unit_code) VALUES (%s, %s, %s, %s)
           ON CONFLICT (project_id) DO UPDATE SET kpi_code = coalesce(project_sustainment.kpi_code, excluded.kpi_code),
                  unit_code = coalesce(project_sustainment.unit_code, excluded.unit_code)""",
        (project_id, completed_on, (outcome or {}).get("kpi_code"), (outcome or {}).get("unit_code")))


def sustainment_row(uow: UnitOfWork, project_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    return uow.one("SELECT project_id, completed_on, kpi_code, unit_code, slipped_in, slipped_on, slipped_signal_id"
                   f" FROM project_sustainment WHERE project_id = %s{' FOR UPDATE' if for_update else ''}",
                   (project_id,))


def record_slip(uow: UnitOfWork, project_id: str, completed_on: date, slipped_in: str, slipped_on: str,
                signal_id: int) -> None:
    uow.execute(
        """INSERT INTO project_sustainment (project_id, completed_on, slipped_in, slipped_on, slipped_signal_id)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (project_id) DO UPDATE SET slipped_in = excluded.slipped_in, slipped_on = excluded.slipped_on,
                  slipped_signal_id = excluded.slipped_signal_id""",
        (project_id, completed_on, slipped_in, slipped_on, signal_id))


def charted_months(uow: UnitOfWork, kpi_code: str, unit_code: str, after: str) -> list[str]:
    """The months of a series this service keeps, after ``after`` (YYYY-MM), oldest first."""
    return [row["period"] for row in uow.all(
        "SELECT period FROM kpi_series WHERE kpi_code = %s AND unit_code = %s AND period > %s ORDER BY period",
        (kpi_code, unit_code, after))]
