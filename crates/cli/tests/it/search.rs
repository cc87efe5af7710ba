//! Chinese full-text search (issue 13 item 5): two-, three- and four-character queries and
//! mixed Latin text on every backend, ranking, highlighting, the searcher's scope (a county
//! never sees another county's texts), hostile queries refused with a reason and never a
//! 500, the index kept by `put`/`remove`, the broad-scope path, and people found by any
//! part of their name.

use chrono::NaiveDate;
use xuepei_domain::accounts::AccountRole;
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_store::search::{self, Doc};
use xuepei_store::{Scope, StoreError};
use xuepei_testkit::TestApp;

use crate::materials::{call, token};
use crate::support::*;

/// Indexes a text of another module's kind directly (as their modules do).
async fn put(
    db: &xuepei_store::DatabaseConnection,
    kind: &'static str,
    id: i64,
    org: &str,
    title: &str,
    body: &str,
    date: (i32, u32, u32),
) {
    let o = by_code(db, org).await;
    search::put(
        db,
        &Doc {
            kind,
            id,
            org_id: o.id,
            org_path: &o.path,
            title,
            body,
            date: NaiveDate::from_ymd_opt(date.0, date.1, date.2),
        },
    )
    .await
    .expect("indexed");
}

async fn titles(db: &xuepei_store::DatabaseConnection, scope: &Scope, q: &str) -> Vec<String> {
    search::search(db, scope, q, None, 1, 50).await.expect("search").items.into_iter().map(|h| h.title).collect()
}

/// A county's texts and another county's.
async fn corpus(db: &xuepei_store::DatabaseConnection) {
    put(
        db,
        "meeting",
        1,
        YUNXI,
        "区委常委会会议记录",
        "第一议题：传达学习习近平总书记重要讲话精神，研究乡村振兴工作。",
        (2025, 3, 1),
    )
    .await;
    put(db, "note", 2, YUNXI, "中心组研讨记录", "围绕新时代党的建设总要求开展研讨，党建引领基层治理。", (2025, 4, 1))
        .await;
    put(db, "reflection", 3, JINGZHU, "学习心得", "学习学习再学习，推进5G基站建设和AI赋能乡村治理。", (2025, 5, 1))
        .await;
    put(db, "report", 4, BAZIMEN, "年度述学报告", "本年度认真学习党的创新理论，抓党建促振兴。", (2024, 12, 1)).await;
    put(db, "speech", 5, QUYUAN, "外县研讨发言", "学习党建乡村振兴新时代AI 5G基站。", (2025, 6, 1)).await;
}

#[tokio::test]
async fn two_three_and_four_character_and_mixed_queries_find_the_texts() {
    let db = seeded().await;
    corpus(&db.conn).await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let cases: [(&str, &[&str]); 10] = [
        ("学习", &["学习心得", "区委常委会会议记录", "年度述学报告"]),
        ("党建", &["中心组研讨记录", "年度述学报告"]),
        ("振兴", &["区委常委会会议记录", "年度述学报告"]),
        ("新时代", &["中心组研讨记录"]),
        ("乡村振兴", &["区委常委会会议记录"]),
        ("党建引领", &["中心组研讨记录"]),
        ("5G基站", &["学习心得"]),
        ("ai", &["学习心得"]),
        ("ＡＩ 乡村", &["学习心得"]),
        ("党建 振兴", &["年度述学报告"]),
    ];
    for (q, want) in cases {
        let mut got = titles(&db.conn, &scope, q).await;
        let mut want: Vec<String> = want.iter().map(|s| (*s).to_owned()).collect();
        // Order is checked by the ranking test; here, what is found.
        got.sort();
        want.sort();
        assert_eq!(got, want, "query {q}");
    }
    // A phrase is confirmed as typed: the pairs 乡村 and 村振 alone do not match 乡村的振兴.
    put(&db.conn, "note", 9, YUNXI, "分散的词", "乡村的振兴，村振兴", (2025, 1, 1)).await;
    assert_eq!(titles(&db.conn, &scope, "乡村振兴").await, ["区委常委会会议记录"]);
    // Nothing found is an empty list, not an error.
    assert!(titles(&db.conn, &scope, "不存在的词语").await.is_empty());
}

#[tokio::test]
async fn results_rank_title_hits_then_more_occurrences_then_newer_and_are_highlighted() {
    let db = seeded().await;
    let scope = county_scope(&db.conn, YUNXI).await;
    put(&db.conn, "note", 1, YUNXI, "一次提到", "要加强学习。", (2025, 1, 1)).await;
    put(&db.conn, "note", 2, YUNXI, "三次提到", "学习，学习，再学习。", (2020, 1, 1)).await;
    put(&db.conn, "note", 3, YUNXI, "标题里有学习", "正文没有。", (2019, 1, 1)).await;
    put(&db.conn, "note", 4, YUNXI, "一次提到（较新）", "要加强学习。", (2025, 6, 1)).await;
    for q in ["学习", "加强学习 要"] {
        let got = titles(&db.conn, &scope, q).await;
        if q == "学习" {
            assert_eq!(got, ["标题里有学习", "三次提到", "一次提到（较新）", "一次提到"], "ranking");
        } else {
            assert_eq!(got, ["一次提到（较新）", "一次提到"], "the newer first among equals");
        }
    }
    // Snippets are escaped HTML with the words marked; the title too.
    put(&db.conn, "note", 5, YUNXI, "<b>转义</b>标题", "<script>alert(1)</script>前文学习&实践后文", (2025, 1, 1))
        .await;
    let r = search::search(&db.conn, &scope, "学习 实践", None, 1, 20).await.expect("search");
    let h = r.items.iter().find(|h| h.id == 5).expect("found");
    assert_eq!(h.snippet, "&lt;script&gt;alert(1)&lt;/script&gt;前文<mark>学习</mark>&amp;<mark>实践</mark>后文");
    assert_eq!(h.title, "<b>转义</b>标题", "the plain title for the API");
    assert_eq!(h.title_html, "&lt;b&gt;转义&lt;/b&gt;标题");
    // A long text is cut around the first match.
    let long = format!("{}关键的学习段落{}", "前".repeat(300), "后".repeat(300));
    put(&db.conn, "note", 6, YUNXI, "长文", &long, (2025, 1, 1)).await;
    let r = search::search(&db.conn, &scope, "学习段落", None, 1, 20).await.expect("search");
    assert!(r.items[0].snippet.starts_with('…') && r.items[0].snippet.ends_with('…'), "{}", r.items[0].snippet);
    assert!(r.items[0].snippet.contains("<mark>学习段落</mark>"));
    assert!(r.items[0].snippet.chars().count() < 140);
}

#[tokio::test]
async fn a_county_never_finds_another_countys_texts_in_the_store_pages_or_api() {
    let db = seeded().await;
    corpus(&db.conn).await;
    crate::materials::seed_material(&db.conn, QUYUAN, "外县学习资料", "外县党建学习").await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    for q in ["学习", "党建", "外县", "5G基站", "ai"] {
        let r = search::search(&db.conn, &yunxi, q, None, 1, 50).await.expect("search");
        assert!(r.items.iter().all(|h| !h.title.contains("外县") && !h.snippet.contains("外县")), "{q}: {:?}", r.items);
    }
    // The broad path (a term common in the scope) keeps to the scope too.
    let r = search::search_tuned(&db.conn, &yunxi, "学习", None, 1, 50, 2).await.expect("broad");
    assert_eq!(r.items.len(), 3);
    assert!(r.items.iter().all(|h| !h.title.contains("外县")));
    let village = county_scope(&db.conn, JINGZHU).await;
    assert_eq!(titles(&db.conn, &village, "学习").await, ["学习心得"], "a village sees its own only");
    let all = titles(&db.conn, &Scope::system(), "学习").await;
    assert!(all.iter().any(|t| t == "外县研讨发言") && all.iter().any(|t| t == "外县学习资料"));

    // Pages: the search page of this county's account; results link to the records.
    let app = signed_in(&db, "xuanchuan", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (s, body) = app.get("/search?q=学习").await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<mark>学习</mark>") && body.contains("/study/meetings/1"), "{body}");
    assert!(!body.contains("外县"), "no trace of the other county");
    let (s, body) = app.get("/search?q=学习&kind=reflection").await;
    assert_eq!(s, 200);
    assert!(body.contains("/study/logs/3") && !body.contains("/study/meetings/1"), "the kind filter: {body}");
    let (s, body) = app.get("/search?q=外县学习资料").await;
    assert_eq!(s, 200);
    assert!(body.contains("没有找到"), "{body}");

    // API: ranked items within the token's scope.
    let api = TestApp::spawn(&db).await;
    let t = token(&db.conn, YUNXI).await;
    let (s, v) = call(&api, "GET", "/api/v1/search?q=%E5%AD%A6%E4%B9%A0", &t, None).await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{v}");
    assert_eq!(items[0]["title"], "学习心得", "most occurrences first");
    assert_eq!(items[0]["kind"], "reflection");
    assert!(items[0]["snippet"].as_str().is_some_and(|s| s.contains("<mark>学习</mark>")));
    assert!(!v.to_string().contains("外县"));
    let other = token(&db.conn, QUYUAN).await;
    let (_, v) = call(&api, "GET", "/api/v1/search?q=%E5%AD%A6%E4%B9%A0", &other, None).await;
    let kinds: Vec<&str> = v["items"].as_array().expect("items").iter().filter_map(|i| i["kind"].as_str()).collect();
    assert_eq!(kinds.len(), 2, "the other county's own two: {v}");
}

/// The broad path reads the driving word's postings best first in growing steps: a phrase
/// whose words meet in hundreds of better-scored texts that do not hold it as a phrase is
/// still found further down, and only it.
#[tokio::test]
async fn a_phrase_is_found_below_many_texts_that_hold_its_words_apart() {
    let db = seeded().await;
    for i in 0..260 {
        // 党建, 建引 and 引领 each occur, in the title too, but never 党建引领.
        put(&db.conn, "material", 1_000 + i, YUNXI, "抓党建引，引领发展", "抓党建引，引领发展。", (2025, 5, 1)).await;
    }
    put(&db.conn, "material", 9, YUNXI, "工作通报", "坚持党建引领基层治理。", (2020, 1, 1)).await;
    put(&db.conn, "material", 10, QUYUAN, "外县通报", "坚持党建引领基层治理。", (2020, 1, 1)).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    for narrow_below in [2, 5_000] {
        let r = search::search_tuned(&db.conn, &yunxi, "党建引领", None, 1, 20, narrow_below).await.expect("search");
        let titles: Vec<&str> = r.items.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(titles, ["工作通报"], "narrow below {narrow_below}");
        assert!(!r.has_next);
    }
}

#[tokio::test]
async fn hostile_queries_are_refused_with_a_reason_or_searched_safely() {
    let db = seeded().await;
    corpus(&db.conn).await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let refused = |r: xuepei_store::Result<search::Results>| match r {
        Err(StoreError::Invalid(e)) => e[0].message.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(refused(search::search(&db.conn, &scope, "", None, 1, 20).await).contains("请输入检索词"));
    assert!(refused(search::search(&db.conn, &scope, " \u{3000}\t", None, 1, 20).await).contains("请输入检索词"));
    assert!(refused(search::search(&db.conn, &scope, "\"*%_'();--", None, 1, 20).await).contains("没有可检索的文字"));
    assert!(refused(search::search(&db.conn, &scope, "党", None, 1, 20).await).contains("两个连续的汉字"));
    assert!(refused(search::search(&db.conn, &scope, &"学习".repeat(40), None, 1, 20).await).contains("不超过64个字"));
    assert!(refused(search::search(&db.conn, &scope, "学习", Some("x'; --"), 1, 20).await).contains("类别"));
    // Operators and SQL are words or separators; nothing breaks, nothing leaks.
    for q in [
        "\"学习\" AND 党建",
        "学习*",
        "学习 OR 1=1",
        "%学习%",
        "学_习",
        "'; DROP TABLE search_postings; --",
        "学习\\",
        "学习\0党建",
        "NEAR(学习 党建)",
    ] {
        match search::search(&db.conn, &scope, q, None, 1, 20).await {
            Ok(r) => assert!(r.items.iter().all(|h| !h.title.contains("外县"))),
            Err(StoreError::Invalid(e)) => assert!(!e[0].message.is_empty()),
            Err(e) => panic!("{q}: {e:?}"),
        }
    }
    assert_eq!(titles(&db.conn, &scope, "学习 AND 党建").await, ["年度述学报告"]);
    // A page beyond the last ranked result is the last one there is.
    let r = search::search(&db.conn, &scope, "学习", None, 999, 20).await.expect("far page");
    assert!(r.items.is_empty() && !r.has_next);

    let app = signed_in(&db, "xuanchuan", &[AccountRole::PropagandaStaff], YUNXI).await;
    for (q, part) in [("", "请输入检索词"), ("%25%25", "没有可检索的文字"), ("%E5%85%9A", "两个连续的汉字")]
    {
        let (s, body) = app.get(&format!("/search?q={q}")).await;
        assert_eq!(s, 422, "{q}");
        assert!(body.contains(part), "{part} on the page");
    }
    let long = "学".repeat(1000);
    let (s, body) = app.get(&format!("/search?q={long}&page=abc&kind=<x>")).await;
    assert_eq!(s, 422);
    assert!(body.contains("不超过64个字"));
    let api = TestApp::spawn(&db).await;
    let t = token(&db.conn, YUNXI).await;
    for (path, status) in [
        ("/api/v1/search", 422),
        ("/api/v1/search?q=", 422),
        ("/api/v1/search?q=%22%2A%22", 422),
        ("/api/v1/search?q=%E5%AD%A6%E4%B9%A0&page=0", 400),
        ("/api/v1/search?q=%E5%AD%A6%E4%B9%A0&limit=999", 400),
        ("/api/v1/search?q=%E5%AD%A6%E4%B9%A0&kind=nope", 422),
        ("/api/v1/search?q=%27%20OR%201%3D1%20--", 200),
    ] {
        let (s, v) = call(&api, "GET", path, &t, None).await;
        assert_eq!(s, status, "{path}: {v}");
        if status != 200 {
            assert!(v["error"]["code"].is_string() && v["error"]["message"].is_string(), "{path}: {v}");
        }
    }
}

#[tokio::test]
async fn put_replaces_a_documents_terms_and_remove_takes_it_out() {
    let db = seeded().await;
    let scope = county_scope(&db.conn, YUNXI).await;
    put(&db.conn, "note", 7, YUNXI, "研讨记录", "讨论乡村振兴", (2025, 1, 1)).await;
    assert_eq!(titles(&db.conn, &scope, "振兴").await, ["研讨记录"]);
    put(&db.conn, "note", 7, YUNXI, "研讨记录（修改）", "讨论基层治理", (2025, 1, 1)).await;
    assert!(titles(&db.conn, &scope, "振兴").await.is_empty(), "old terms are gone");
    assert_eq!(titles(&db.conn, &scope, "治理").await, ["研讨记录（修改）"]);
    // Moved to the other county (a record changing owner): this county no longer finds it.
    put(&db.conn, "note", 7, QUYUAN, "研讨记录（修改）", "讨论基层治理", (2025, 1, 1)).await;
    assert!(titles(&db.conn, &scope, "治理").await.is_empty());
    search::remove(&db.conn, "note", 7).await.expect("remove");
    search::remove(&db.conn, "note", 7).await.expect("removing twice is harmless");
    assert!(titles(&db.conn, &Scope::system(), "治理").await.is_empty());
    let (docs, _) = search::sizes(&db.conn).await.expect("sizes");
    put(&db.conn, "note", 8, YUNXI, "另一份", "基层治理", (2025, 1, 1)).await;
    assert_eq!(search::sizes(&db.conn).await.expect("sizes").0, docs + 1);
}

#[tokio::test]
async fn people_are_found_by_any_part_of_their_name_within_the_scope() {
    let db = seeded().await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let p = someone_under(&db.conn, YUNXI).await;
    let chars: Vec<char> = p.name.chars().collect();
    assert!(chars.len() >= 2, "{}", p.name);
    let tail: String = chars[1..].iter().collect();
    let middle: String = chars[chars.len() - 1..].iter().collect();
    for part in [tail.as_str(), middle.as_str(), p.name.as_str()] {
        let f = PersonFilter { q: Some(part.to_owned()), direct: Some(p.org_id), ..Default::default() };
        let page = people::list(&db.conn, &scope, &f, PersonSort::Org, At::First, 500).await.expect("list");
        assert!(page.items.iter().any(|r| r.person.id == p.id), "{} found by “{part}”", p.name);
        assert!(page.items.iter().all(|r| r.person.name.contains(part)));
    }
    // Another county's person is not found by this county, by any part of the name.
    let b = someone_under(&db.conn, QUYUAN).await;
    let b_tail: String = b.name.chars().skip(1).collect();
    let f = PersonFilter { q: Some(b_tail.clone()), ..Default::default() };
    let mut after: Option<String> = None;
    loop {
        let page =
            people::list(&db.conn, &scope, &f, PersonSort::Org, At::after(after.as_deref()), 500).await.expect("list");
        assert!(page.items.iter().all(|r| r.person.id != b.id && r.person.name.contains(b_tail.as_str())));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    // Through the page too, with the county's account.
    let app = signed_in(&db, "renshi", &[AccountRole::OrgStaff], YUNXI).await;
    let (s, body) = app.get(&format!("/people?q={tail}")).await;
    assert_eq!(s, 200);
    assert!(body.contains(&p.name), "{} on the list", p.name);
}

/// `xuepei bench search` runs end to end at a small size (SQLite only) and prints its table.
#[tokio::test]
async fn the_search_benchmark_runs_at_a_small_size() {
    let dir = tempfile::tempdir().expect("dir");
    let args = xuepei::bench_search::SearchArgs {
        docs: 400,
        people: 300,
        sqlite: Some(dir.path().join("bench.db")),
        skip_sqlite: false,
        pg: "none".into(),
        samples: 2,
        seed: 7,
        area: "430602".into(),
        keep: false,
    };
    let code = xuepei::bench_search::run(args.clone()).await.expect("bench");
    assert_eq!(code, std::process::ExitCode::SUCCESS);

    // Kept: the second run measures the same data again instead of indexing it twice.
    let kept = xuepei::bench_search::SearchArgs { keep: true, sqlite: Some(dir.path().join("kept.db")), ..args };
    for _ in 0..2 {
        let code = xuepei::bench_search::run(kept.clone()).await.expect("bench kept");
        assert_eq!(code, std::process::ExitCode::SUCCESS);
    }
    let url = xuepei_store::db::sqlite_url(&dir.path().join("kept.db")).expect("url");
    let conn = xuepei_store::db::connect(&url, &Default::default()).await.expect("connect");
    assert_eq!(search::sizes(&conn).await.expect("sizes").0, 400, "indexed once");
}
