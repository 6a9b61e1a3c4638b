"""SQL for the ideas schema. Functions take a unit of work and return rows (dicts of the columns)."""

from __future__ import annotations

from typing import Any

from shared.db import UnitOfWork
from shared.pagination import Listing

Row = dict[str, Any]
IDEA_COLUMNS = ("id, title, description, submitted_by, stage, channel, campaign_id, category, directorate, "
                "merged_into, vote_count, version, submitted_at")
_FILTERS = ("stage", "campaign_id", "directorate", "category", "visible_to")
_WORDS = "search @@ websearch_to_tsquery('english', %s)"
# Newest first, and most votes first; migrations 0002/0003 index both alone and after each filter.
IDEAS = Listing("ideas", "ideas", IDEA_COLUMNS, "submitted_at timestamptz, id uuid", descending=True,
                filters=_FILTERS, search=_WORDS)
IDEAS_BY_VOTES = Listing("ideas-by-votes", "ideas", IDEA_COLUMNS,
                         "vote_count integer, submitted_at timestamptz, id uuid", descending=True,
                         filters=_FILTERS, search=_WORDS)
COMMENT_COLUMNS = ("id, idea_id, author, body, created_at, edited_at, hidden_at, hidden_by, hidden_reason, "
                   "version")
COMMENTS = Listing("idea-comments", "idea_comments", COMMENT_COLUMNS, "created_at timestamptz, id uuid",
                   scope=("idea_id",))
CAMPAIGN_COLUMNS = "id, theme, description, sponsor, directorate, opens_on, closes_on, created_by, created_at, version"
CAMPAIGNS = Listing("campaigns", "campaigns", CAMPAIGN_COLUMNS, "opens_on date, id uuid", descending=True)


# -- ideas ---------------------------------------------------------------------------------------

def add_idea(uow: UnitOfWork, idea: Row) -> Row:
    row = uow.one(
        f"""INSERT INTO ideas (id, title, description, submitted_by, submitter_email, stage, channel, visible_to,
                               campaign_id, category, directorate, follow_token_hash)
            VALUES (%(id)s, %(title)s, %(description)s, %(submitted_by)s, %(submitter_email)s, %(stage)s,
                    %(channel)s, %(visible_to)s, %(campaign_id)s, %(category)s, %(directorate)s,
                    %(follow_token_hash)s)
            RETURNING {IDEA_COLUMNS}""",
        idea,
    )
    assert row is not None
    add_history(uow, str(row["id"]), 1, row["stage"], idea["submitted_by"] or idea["channel"], None)
    return row


def idea(uow: UnitOfWork, idea_id: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {IDEA_COLUMNS}, visible_to, submitter_email FROM ideas WHERE id = %s{lock}", (idea_id,))


def idea_by_follow_token(uow: UnitOfWork, token_hash: str) -> Row | None:
    return uow.one(f"SELECT {IDEA_COLUMNS} FROM ideas WHERE follow_token_hash = %s", (token_hash,))


def set_stage(uow: UnitOfWork, idea_id: str, stage: str, changed_by: str, reason: str | None,
              merged_into: str | None = None) -> Row:
    row = uow.one(
        f"""UPDATE ideas SET stage = %s, version = version + 1, merged_into = coalesce(%s, merged_into),
                   visible_to = CASE WHEN %s = 'moderation' OR (stage = 'moderation' AND %s = 'declined')
                                     THEN 'moderators' ELSE 'staff' END
            WHERE id = %s RETURNING {IDEA_COLUMNS}, visible_to""",
        (stage, merged_into, stage, stage, idea_id),
    )
    assert row is not None
    add_history(uow, idea_id, row["version"], stage, changed_by, reason)
    return row


def add_history(uow: UnitOfWork, idea_id: str, version: int, stage: str, by: str, reason: str | None) -> None:
    uow.execute(
        "INSERT INTO idea_stage_history (idea_id, version, stage, changed_by, reason) VALUES (%s, %s, %s, %s, %s)",
        (idea_id, version, stage, by, reason),
    )


def history(uow: UnitOfWork, idea_id: str) -> list[Row]:
    return uow.all(
        "SELECT version, stage, changed_by, reason, changed_at FROM idea_stage_history"
        " WHERE idea_id = %s ORDER BY version",
        (idea_id,),
    )


def project_ids(uow: UnitOfWork, idea_id: str) -> list[str]:
    rows = uow.all("SELECT project_id FROM idea_projects WHERE idea_id = %s ORDER BY linked_at", (idea_id,))
    return [str(row["project_id"]) for row in rows]


def outcomes(uow: UnitOfWork, idea_id: str) -> tuple[list[Row], list[Row]]:
    """What the idea became: the projects made from it (with their stage as last heard) and the
    published stories of the idea or of those projects."""
    projects = uow.all(
        """SELECT p.project_id, coalesce(k.title, p.title) AS title, k.stage FROM idea_projects p
           LEFT JOIN known_projects k ON k.project_id = p.project_id
           WHERE p.idea_id = %s ORDER BY p.linked_at, p.project_id""", (idea_id,))
    stories = uow.all(
        """SELECT story_id, slug, title, summary FROM known_stories
           WHERE idea_id = %s OR project_id IN (SELECT project_id FROM idea_projects WHERE idea_id = %s)
           ORDER BY published_at, story_id""", (idea_id, idea_id))
    return projects, stories


def link_project(uow: UnitOfWork, idea_id: str, project_id: str, title: str) -> bool:
    """Link the project to the idea; False when it was linked already."""
    return uow.execute(
        "INSERT INTO idea_projects (idea_id, project_id, title) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (idea_id, project_id, title),
    ).rowcount == 1


def idea_of_project(uow: UnitOfWork, project_id: str) -> str | None:
    row = uow.one("SELECT idea_id FROM idea_projects WHERE project_id = %s", (project_id,))
    return str(row["idea_id"]) if row else None


# -- the submitter's contact (public ideas, with consent) -----------------------------------------

def add_contact(uow: UnitOfWork, idea_id: str, name: str | None, email: str | None, phone: str | None,
                consent: bool) -> None:
    uow.execute("INSERT INTO idea_contacts (idea_id, name, email, phone, consent) VALUES (%s, %s, %s, %s, %s)",
                (idea_id, name, email, phone, consent))


def contact(uow: UnitOfWork, idea_id: str) -> Row | None:
    return uow.one("SELECT name, email, phone, consent FROM idea_contacts WHERE idea_id = %s", (idea_id,))


# -- votes and followers --------------------------------------------------------------------------

def add_vote(uow: UnitOfWork, idea_id: str, voter: str) -> bool:
    return uow.execute("INSERT INTO idea_votes (idea_id, voter) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                       (idea_id, voter)).rowcount == 1


def remove_vote(uow: UnitOfWork, idea_id: str, voter: str) -> bool:
    return uow.execute("DELETE FROM idea_votes WHERE idea_id = %s AND voter = %s", (idea_id, voter)).rowcount == 1


def has_voted(uow: UnitOfWork, idea_id: str, voter: str) -> bool:
    return uow.one("SELECT 1 AS yes FROM idea_votes WHERE idea_id = %s AND voter = %s", (idea_id, voter)) is not None


def recount_votes(uow: UnitOfWork, idea_id: str) -> int:
    row = uow.one("UPDATE ideas SET vote_count = (SELECT count(*) FROM idea_votes WHERE idea_id = %s)"
                  " WHERE id = %s RETURNING vote_count", (idea_id, idea_id))
    assert row is not None
    return int(row["vote_count"])


def add_follower(uow: UnitOfWork, idea_id: str, follower: str, email: str | None) -> bool:
    return uow.execute("INSERT INTO idea_followers (idea_id, follower, email) VALUES (%s, %s, %s)"
                       " ON CONFLICT DO NOTHING", (idea_id, follower, email)).rowcount == 1


def remove_follower(uow: UnitOfWork, idea_id: str, follower: str) -> bool:
    return uow.execute("DELETE FROM idea_followers WHERE idea_id = %s AND follower = %s",
                       (idea_id, follower)).rowcount == 1


def is_following(uow: UnitOfWork, idea_id: str, follower: str) -> bool:
    return uow.one("SELECT 1 AS yes FROM idea_followers WHERE idea_id = %s AND follower = %s",
                   (idea_id, follower)) is not None


def followers(uow: UnitOfWork, idea_id: str) -> list[Row]:
    return uow.all("SELECT follower, email FROM idea_followers WHERE idea_id = %s ORDER BY followed_at",
                   (idea_id,))


def follower_count(uow: UnitOfWork, idea_id: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM idea_followers WHERE idea_id = %s", (idea_id,))
    return int(row["n"]) if row else 0


def move_votes_and_followers(uow: UnitOfWork, source_id: str, target_id: str) -> None:
    """Copy the merged idea's votes and followers onto the idea it was merged into (once per
    person); the merged idea keeps its own rows as its history."""
    uow.execute("INSERT INTO idea_votes (idea_id, voter, voted_at) SELECT %s, voter, voted_at FROM idea_votes"
                " WHERE idea_id = %s ON CONFLICT DO NOTHING", (target_id, source_id))
    uow.execute("INSERT INTO idea_followers (idea_id, follower, email, followed_at)"
                " SELECT %s, follower, email, followed_at FROM idea_followers WHERE idea_id = %s"
                " ON CONFLICT DO NOTHING", (target_id, source_id))


# -- comments -------------------------------------------------------------------------------------

def add_comment(uow: UnitOfWork, comment_id: str, idea_id: str, author: str, body: str) -> Row:
    row = uow.one(f"INSERT INTO idea_comments (id, idea_id, author, body) VALUES (%s, %s, %s, %s)"
                  f" RETURNING {COMMENT_COLUMNS}", (comment_id, idea_id, author, body))
    assert row is not None
    return row


def comment(uow: UnitOfWork, idea_id: str, comment_id: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {COMMENT_COLUMNS}, now() AS now FROM idea_comments WHERE idea_id = %s AND id = %s{lock}",
                   (idea_id, comment_id))


def edit_comment(uow: UnitOfWork, comment_id: str, body: str) -> Row:
    row = uow.one(f"UPDATE idea_comments SET body = %s, edited_at = now(), version = version + 1 WHERE id = %s"
                  f" RETURNING {COMMENT_COLUMNS}", (body, comment_id))
    assert row is not None
    return row


def hide_comment(uow: UnitOfWork, comment_id: str, hidden_by: str, reason: str) -> Row:
    row = uow.one(f"UPDATE idea_comments SET hidden_at = now(), hidden_by = %s, hidden_reason = %s,"
                  f" version = version + 1 WHERE id = %s RETURNING {COMMENT_COLUMNS}", (hidden_by, reason, comment_id))
    assert row is not None
    return row


# -- campaigns and categories ---------------------------------------------------------------------

def add_campaign(uow: UnitOfWork, campaign: Row) -> Row:
    row = uow.one(
        f"""INSERT INTO campaigns (id, theme, description, sponsor, directorate, opens_on, closes_on, created_by)
            VALUES (%(id)s, %(theme)s, %(description)s, %(sponsor)s, %(directorate)s, %(opens_on)s, %(closes_on)s,
                    %(created_by)s) RETURNING {CAMPAIGN_COLUMNS}""", campaign)
    assert row is not None
    return row


def campaign(uow: UnitOfWork, campaign_id: str) -> Row | None:
    return uow.one(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = %s", (campaign_id,))


def categories(uow: UnitOfWork) -> list[Row]:
    return uow.all("SELECT code, name FROM categories ORDER BY code")


def category(uow: UnitOfWork, code: str) -> Row | None:
    return uow.one("SELECT code, name FROM categories WHERE code = %s", (code,))


def add_category(uow: UnitOfWork, code: str, name: str) -> bool:
    return uow.execute("INSERT INTO categories (code, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                       (code, name)).rowcount == 1


def today(uow: UnitOfWork) -> Any:
    row = uow.one("SELECT current_date AS today")
    assert row is not None
    return row["today"]


# -- the read model of projects and stories -------------------------------------------------------

def upsert_project(uow: UnitOfWork, project: Row) -> None:
    uow.execute(
        """INSERT INTO known_projects (project_id, title, summary, idea_id, directorate, stage)
           VALUES (%(project_id)s, %(title)s, %(summary)s, %(idea_id)s, %(directorate)s, %(stage)s)
           ON CONFLICT (project_id) DO UPDATE SET title = EXCLUDED.title,
               summary = CASE WHEN EXCLUDED.summary = '' THEN known_projects.summary ELSE EXCLUDED.summary END,
               idea_id = coalesce(EXCLUDED.idea_id, known_projects.idea_id),
               directorate = coalesce(EXCLUDED.directorate, known_projects.directorate),
               stage = EXCLUDED.stage, updated_at = now()""",
        project,
    )


def upsert_story(uow: UnitOfWork, story: Row) -> None:
    uow.execute(
        """INSERT INTO known_stories (story_id, slug, title, summary, project_id, idea_id)
           VALUES (%(story_id)s, %(slug)s, %(title)s, %(summary)s, %(project_id)s, %(idea_id)s)
           ON CONFLICT (story_id) DO UPDATE SET slug = EXCLUDED.slug, title = EXCLUDED.title,
               summary = EXCLUDED.summary, project_id = EXCLUDED.project_id, idea_id = EXCLUDED.idea_id""",
        story,
    )


# Ranked by words in common (ts_rank) and by title similarity (pg_trgm); either may find a match.
_SIMILAR = """
    WITH draft AS (SELECT websearch_to_tsquery('english', %(words)s) AS words,
                          plainto_tsquery('english', %(words)s) AS any_words)
    SELECT {columns},
           round((greatest(extensions.similarity(t.title, %(title)s),
                           ts_rank(t.search, to_tsquery('english',
                               replace(draft.any_words::text, ' & ', ' | ')))))::numeric, 3)::float AS score
    FROM {table} t, draft
    WHERE {where} (t.title OPERATOR(extensions.%%) %(title)s
           OR t.search @@ to_tsquery('english', replace(draft.any_words::text, ' & ', ' | ')))
    ORDER BY score DESC, {key}
    LIMIT %(limit)s"""


def similar(uow: UnitOfWork, kind: str, title: str, text: str, limit: int) -> list[Row]:
    """The ideas, live projects or published stories most like the draft, best first."""
    table, columns, key, where = {
        "ideas": ("ideas", "t.id, t.title, t.stage, t.vote_count", "t.id",
                  "t.visible_to = 'staff' AND t.stage <> 'merged' AND"),
        "projects": ("known_projects", "t.project_id, t.title, t.stage, t.idea_id", "t.project_id",
                     "t.stage NOT IN ('stopped') AND"),
        "stories": ("known_stories", "t.story_id, t.slug, t.title, t.summary", "t.story_id", ""),
    }[kind]
    sql = _SIMILAR.format(columns=columns, table=table, key=key, where=where)
    return uow.all(sql, {"words": f"{title} {text}", "title": title, "limit": limit})
