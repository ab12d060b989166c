"""The catalogue on its own: folding, ranking and search on SQLite and PostgreSQL, and the refresher's
complete and incremental reads against the sample Braze server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.fold import fold, query_words
from catalogue.refresh import PURPOSE, CatalogueRefresher
from catalogue.store import CatalogueStore
from digests.store import Store
from fakes.braze import SampleBraze
from fakes.settings import BRAZE_KEY
from reports.braze import BrazeClient
from reports.braze_limits import SHARED
from reports.listing import ListedItem

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def item(kind: str, object_id: str, name: str, days_ago: int = 1) -> ListedItem:
    return ListedItem(kind, object_id, name, NOW - timedelta(days=days_ago))  # type: ignore[arg-type]


@pytest.fixture
def catalogue(store: Store) -> CatalogueStore:
    return CatalogueStore(store.engine)


@pytest.fixture
def braze() -> Iterator[SampleBraze]:
    with SampleBraze(api_key=BRAZE_KEY) as server:
        yield server


def test_fold_removes_case_accents_and_extra_spaces() -> None:
    assert fold("  Été  PROMO Crème-Brûlée ") == "ete promo creme-brulee"
    assert fold("Straße Øresund Łódź") == "strasse oresund lodz"
    assert query_words("promo  Été promo") == ["promo", "ete"]


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_query_words_come_from_the_folded_text(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert all(w in fold(text).split() for w in query_words(text))


def test_search_needs_every_word_and_ranks_the_best_first(catalogue: CatalogueStore) -> None:
    catalogue.upsert(
        [
            item("campaign", "c-old", "Spring sale reminder", days_ago=90),
            item("campaign", "c-new", "Reminder: spring sale", days_ago=1),
            item("canvas", "v-exact", "Spring Sale", days_ago=300),
            item("campaign", "c-other", "Autumn sale", days_ago=1),
            item("canvas", "v-inside", "Big springsale push", days_ago=1),
        ],
        now=NOW,
    )
    found = [e.object_id for e in catalogue.search("SPRING sale")]
    # exact name, then the name starting with the phrase, then phrase inside, then words anywhere (recent first)
    assert found == ["v-exact", "c-old", "c-new", "v-inside"]
    assert [e.object_id for e in catalogue.search("sale", kinds=["canvas"])] == ["v-exact", "v-inside"]
    assert catalogue.search("   ") == []
    assert [e.object_id for e in catalogue.search("c-other")] == ["c-other"]  # an ID finds its entry


def test_like_wildcards_in_a_query_are_taken_literally(catalogue: CatalogueStore) -> None:
    entries = [item("campaign", "a", "50% off"), item("campaign", "b", "500 offers"), item("campaign", "c", "x_y")]
    catalogue.upsert(entries, now=NOW)
    assert [e.object_id for e in catalogue.search("50%")] == ["a"]
    assert [e.object_id for e in catalogue.search("_")] == ["c"]


def test_unlisted_entries_become_archived_and_rank_last(catalogue: CatalogueStore) -> None:
    catalogue.upsert([item("canvas", "v1", "Welcome A"), item("canvas", "v2", "Welcome B")], now=NOW)
    later = NOW + timedelta(hours=1)
    catalogue.upsert([item("canvas", "v2", "Welcome B")], now=later)
    assert catalogue.archive_unlisted("canvas", later) == 1
    assert [(e.object_id, e.archived) for e in catalogue.search("welcome")] == [("v2", False), ("v1", True)]
    catalogue.upsert([item("canvas", "v1", "Welcome A")], now=later + timedelta(hours=1))
    assert catalogue.get("canvas", "v1").archived is False  # listed again: live again


def test_refresher_reads_everything_then_only_recent_edits(catalogue: CatalogueStore, braze: SampleBraze) -> None:
    braze.fill_lists(campaigns=150, canvases=20)
    campaign = braze.add_campaign("cmp-x", "Black Friday", last_edited="2026-11-20T10:00:00+00:00")
    client = BrazeClient(braze.url, BRAZE_KEY, backoff_initial=0.01, backoff_max=0.02)
    refresher = CatalogueRefresher(client, catalogue, clock=lambda: NOW)
    first = refresher.refresh()
    assert first is not None and first.full == {"campaign": True, "canvas": True}
    assert catalogue.count("campaign") == 151 and catalogue.count("canvas") == 20

    braze.requests.clear()
    campaign.name, campaign.last_edited = "Cyber Monday", "2026-11-28T09:00:00+00:00"
    second = refresher.refresh()
    assert second is not None and second.full["campaign"] is False
    campaign_reads = [r.query for r in braze.requests if r.path == "/campaigns/list"]
    assert campaign_reads == [{"page": "0", "last_edit.time[gt]": "2026-11-20T09:59:59"}]
    assert [e.name for e in catalogue.search("cyber monday")] == ["Cyber Monday"]
    assert catalogue.search("black friday") == []
    assert catalogue.sync_state("campaign").incremental_at == NOW
    client.close()


def test_refresher_remembers_a_missing_permission_until_a_read_succeeds(
    catalogue: CatalogueStore, braze: SampleBraze
) -> None:
    braze.add_canvas("cv-1", "Onboarding")
    client = BrazeClient(braze.url, BRAZE_KEY, backoff_initial=0.01, backoff_max=0.02)
    refresher = CatalogueRefresher(client, catalogue, clock=lambda: NOW)
    braze.fail_next(403, {"message": "Insufficient permissions"}, path="/canvas/list")
    result = refresher.refresh()
    assert result is not None and result.failed == {"canvas": "canvas.list"}
    assert catalogue.sync_state("canvas").missing_permission == "canvas.list"
    assert catalogue.sync_state("campaign").missing_permission is None
    refresher.refresh()
    assert catalogue.sync_state("canvas").missing_permission is None
    assert [e.object_id for e in catalogue.search("onboarding")] == ["cv-1"]
    client.close()


def test_canvases_are_read_incrementally_like_campaigns(catalogue: CatalogueStore, braze: SampleBraze) -> None:
    braze.fill_lists(campaigns=0, canvases=150)
    canvas = braze.add_canvas("cv-x", "Welcome journey", last_edited="2026-11-20T10:00:00+00:00")
    client = BrazeClient(braze.url, BRAZE_KEY, backoff_initial=0.01, backoff_max=0.02)
    refresher = CatalogueRefresher(client, catalogue, clock=lambda: NOW)
    assert refresher.refresh().full == {"campaign": True, "canvas": True}  # type: ignore[union-attr]
    assert [r.query.get("last_edit.time[gt]") for r in braze.kind_requests("/canvas/list")] == [None, None]

    braze.requests.clear()
    canvas.name, canvas.last_edited = "Welcome journey v2", "2026-11-28T09:00:00+00:00"
    second = refresher.refresh()
    assert second is not None and second.full["canvas"] is False and second.stored["canvas"] == 1
    assert [r.query for r in braze.kind_requests("/canvas/list")] == [
        {"page": "0", "last_edit.time[gt]": "2026-11-20T09:59:59"}
    ]
    assert [e.name for e in catalogue.search("welcome journey")] == ["Welcome journey v2"]
    assert catalogue.sync_state("canvas").incremental_at == NOW

    later = NOW + timedelta(hours=7)  # a complete read is due again: archived Canvases are noticed
    canvas.archived = True
    refresher.clock = lambda: later
    third = refresher.refresh()
    assert third is not None and third.full["canvas"] is True
    assert catalogue.get("canvas", "cv-x").archived is True  # type: ignore[union-attr]
    client.close()


def test_archived_campaigns_are_listed_only_when_asked(braze: SampleBraze) -> None:
    braze.add_campaign("live", "Live one")
    braze.add_campaign("old", "Archived one", archived=True)
    with BrazeClient(braze.url, BRAZE_KEY) as client:
        assert [c.id for c in client.campaign_list()] == ["live"]
        assert [c.id for c in client.campaign_list(include_archived=True)] == ["live", "old"]


def test_a_plan_refusal_is_an_error_not_a_missing_permission(catalogue: CatalogueStore, braze: SampleBraze) -> None:
    braze.refuse("/canvas/list", "plan")
    braze.refuse("/campaigns/list", "permission")
    with BrazeClient(braze.url, BRAZE_KEY) as client:
        result = CatalogueRefresher(client, catalogue, clock=lambda: NOW).refresh()
    assert result is not None and result.failed["campaign"] == "campaigns.list"
    assert catalogue.sync_state("campaign").missing_permission == "campaigns.list"
    canvas = catalogue.sync_state("canvas")
    assert canvas.missing_permission is None and "plan does not include it" in (canvas.error or "")


def test_refreshes_never_spend_more_than_their_share_of_the_hourly_budget(
    catalogue: CatalogueStore, braze: SampleBraze
) -> None:
    braze.set_rate_limit("shared", 60)  # Braze states it in every answer; the client learns it
    braze.fill_lists(campaigns=2_000, canvases=300)  # 21 + 4 pages
    with BrazeClient(braze.url, BRAZE_KEY) as client:
        refresher = CatalogueRefresher(client, catalogue, clock=lambda: NOW, budget_share=0.25)  # 15 calls/hour
        first = refresher.refresh()
        assert first is not None and set(first.deferred) == {"campaign"} and first.failed == {}
        assert "25% of Braze's hourly API budget (15 calls)" in first.deferred["campaign"]
        list_calls = len(braze.kind_requests("/campaigns/list")) + len(braze.kind_requests("/canvas/list"))
        assert list_calls == 15 and catalogue.count("campaign") == 1_500  # what was read is kept
        assert catalogue.sync_state("campaign").full_at is None  # not a complete read: nothing archived
        again = refresher.refresh()  # within the same hour: held back before any call
        assert again is not None and again.deferred and len(braze.requests) == 15
        # reports and digests still have the rest of the budget
        braze.add_canvas("cv", "Journey")
        assert client.canvas_details("cv").name == "Journey"
        assert client.usage.used(SHARED, purpose=PURPOSE) == 15
