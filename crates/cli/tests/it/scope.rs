//! Route by route: an account of one county (云溪区) can neither list, read, change, export
//! nor import into another county's (屈原管理区) organisations or people. Every declared
//! route is covered — the test fails when a route is added without a case here.

use std::collections::{BTreeSet, HashMap};

use xuepei_domain::accounts::AccountRole;
use xuepei_office::read::{Source, Workbook};
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_store::{Scope, accounts, tokens, uploads};
use xuepei_testkit::{TestApp, files};
use xuepei_web::Access;

use crate::support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Staff,
    Admin,
    Security,
    Auditor,
    Cadre,
    Api,
    /// Propaganda staff: records and corrects theory-study records (issue 13).
    Propaganda,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Refused: 403, 404, or 422 (a form or file shown again with what to fix).
    Deny,
    /// Served, with nothing of the other county in it.
    Clean,
    /// Not about data of a county (signing in and out, one's own password).
    Skip,
    /// Served, and may show the other county: the audit administrator reads the whole
    /// trail, whatever the account's scope (issue 11).
    Whole,
}

struct Case {
    who: Who,
    url: String,
    form: Vec<(String, String)>,
    upload: Option<Vec<u8>>,
    json: Option<String>,
    expect: Expect,
}

fn case(who: Who, url: impl Into<String>, expect: Expect) -> Case {
    Case { who, url: url.into(), form: Vec::new(), upload: None, json: None, expect }
}

fn with_form(mut c: Case, form: &[(&str, &str)]) -> Case {
    c.form = form.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    c
}

/// What the other county holds, and what may not appear in any answer.
struct Other {
    /// An organisation of this county (to try moving it over there).
    own_org: i64,
    org: i64,
    org_code: String,
    person: i64,
    id_number: String,
    account: i64,
    token: i64,
    upload: i64,
    campaign: i64,
    /// A batch plan of the other county's campaign.
    plan: i64,
    /// A pending credit claim of the other county's person.
    claim: i64,
    /// The other county's class, session, instructor and venue.
    class_room: OtherClass,
    /// A city class with people of both counties (this county's and the other's), and its session.
    shared_class: (i64, i64),
    /// The other county's committee meeting and its work measure.
    meeting: (i64, i64),
    /// The other county's study material (its text holds 党建 and 学习).
    material: i64,
    /// The other county's study-log entry, quota rule and leader.
    study: crate::study_logs::OtherStudy,
    /// The other county's central study group: group, submitted plan, session, report, rule.
    study_group: (i64, i64, i64, i64, i64),
    /// A city campaign over both counties, the other county's submitted plan in it and the
    /// plan's attachment.
    filing: (i64, i64, i64),
    /// The other county's practice-base application.
    /// The other county's base and a file of its evidence.
    base: (i64, i64),
    /// A certificate of the other county's person's hours, issued by the other county.
    certificate: i64,
    secrets: Vec<String>,
}

struct OtherClass {
    class: i64,
    session: i64,
    instructor: i64,
    venue: i64,
}

/// The other county's class (for its campaign) with a session, an instructor and a venue.
async fn other_class(db: &xuepei_store::DatabaseConnection, campaign: i64) -> OtherClass {
    use xuepei_store::classes::{self, instructors, sessions, venues};
    let b = county_scope(db, QUYUAN).await;
    write(db, &b, async |tx| {
        let i = instructors::create(
            tx,
            &instructors::InstructorInput {
                org: QUYUAN.into(),
                name: "外县教师".into(),
                kind: "expert".into(),
                ..Default::default()
            },
        )
        .await?;
        let v = venues::create(
            tx,
            &venues::VenueInput {
                org: QUYUAN.into(),
                name: "外县场地".into(),
                kind: "classroom".into(),
                ..Default::default()
            },
        )
        .await?;
        let mut input = crate::classes::class_input(Some(campaign), "外县班次", QUYUAN);
        input.level = "county".into();
        input.allocations = vec![(QUYUAN_TOWN.into(), 10)];
        let c = classes::create(tx, &input).await?;
        let mut si = crate::classes::session_input((2026, 4, 13), "am", "外县专题", "lecture", "3");
        si.instructor_id = Some(i.id);
        si.venue_id = Some(v.id);
        let s = sessions::add(tx, c.id, &si).await?;
        Ok(OtherClass { class: c.id, session: s.id, instructor: i.id, venue: v.id })
    })
    .await
    .expect("the other county's class")
}

async fn fingerprint(db: &xuepei_store::DatabaseConnection) -> String {
    let b = county_scope(db, QUYUAN).await;
    let orgs = org::all(db, &b, &OrgFilter { include_inactive: true, ..Default::default() }).await.expect("orgs");
    let mut people_ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = people::list(db, &b, &PersonFilter::default(), PersonSort::Org, At::after(after.as_deref()), 500)
            .await
            .expect("people");
        people_ids.extend(page.items.into_iter().map(|r| (r.person.id, r.person.updated_at, r.person.org_id)));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let accts = accounts::list(db, &b, None, At::First, 500).await.expect("accounts").items;
    let toks = tokens::list(db, &b).await.expect("tokens");
    let camps = xuepei_store::campaigns::list(db, &b, At::First, 500).await.expect("campaigns").items;
    let mats =
        xuepei_store::materials::list(db, &b, &Default::default(), At::First, 500).await.expect("materials").items;
    let mats: Vec<(i64, String, String)> = mats.into_iter().map(|m| (m.id, m.title, m.body)).collect();
    format!("{orgs:?}{people_ids:?}{accts:?}{toks:?}{camps:?}{mats:?}")
}

fn cases(o: &Other) -> HashMap<(&'static str, &'static str), Vec<Case>> {
    use Expect::*;
    use Who::*;
    let own_org = "430603001203";
    let row = |org: &str| {
        files::xlsx(&[vec!["姓名", "身份证号", "所在党组织"], vec!["越界者", "430603199001011230", org]], &[])
    };
    let mut m: HashMap<(&'static str, &'static str), Vec<Case>> = HashMap::new();
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    let (org, person, account, token, upload) = (o.org, o.person, o.account, o.token, o.upload);
    let campaign = o.campaign;
    let code = o.org_code.clone();
    add("GET", "/login", vec![case(Staff, "/login", Skip)]);
    add("POST", "/login", vec![case(Staff, "/login", Skip)]);
    add("POST", "/logout", vec![case(Staff, "/logout", Skip)]);
    add("GET", "/account/password", vec![case(Staff, "/account/password", Clean)]);
    add("POST", "/account/password", vec![case(Staff, "/account/password", Skip)]);
    add("GET", "/switch", vec![case(Staff, "/switch", Clean)]);
    add(
        "POST",
        "/switch",
        vec![
            with_form(case(Staff, "/switch", Deny), &[("org_id", &org.to_string())]),
            with_form(case(Staff, "/switch", Deny), &[("org", &code)]),
        ],
    );
    add("GET", "/me", vec![case(Cadre, "/me", Clean)]);
    // Notifications are read off the scope's records: nothing of the other county's.
    // Fee caps are the scope root's own: nothing of the other county's to read or change.
    add("GET", "/funds/caps", vec![case(Staff, "/funds/caps", Clean)]);
    add("POST", "/funds/caps", vec![with_form(case(Staff, "/funds/caps", Skip), &[("day_first", "700")])]);
    add("POST", "/funds/caps/reset", vec![case(Staff, "/funds/caps/reset", Skip)]);
    add("GET", "/notifications", vec![case(Staff, "/notifications", Clean), case(Cadre, "/notifications", Clean)]);
    add("POST", "/notifications/read", vec![with_form(case(Staff, "/notifications/read", Skip), &[("all", "1")])]);
    add("GET", "/", vec![case(Staff, "/", Clean), case(Admin, "/", Clean), case(Auditor, "/", Clean)]);
    add("GET", "/orgs", vec![case(Staff, "/orgs", Clean), case(Staff, "/orgs?inactive=1", Clean)]);
    add(
        "POST",
        "/orgs",
        vec![with_form(
            case(Staff, "/orgs", Deny),
            &[
                ("parent", &org.to_string()),
                ("code", "SC-1"),
                ("name", "越界支部"),
                ("kind", "branch"),
                ("sector", "village"),
            ],
        )],
    );
    add(
        "GET",
        "/orgs/list",
        vec![
            case(Staff, format!("/orgs/list?under={org}"), Deny),
            case(Staff, "/orgs/list?q=43067", Clean),
            case(Staff, "/orgs/list?inactive=1", Clean),
        ],
    );
    add(
        "GET",
        "/orgs/pick",
        vec![case(Staff, format!("/orgs/pick?q={code}"), Clean), case(Staff, "/orgs/pick?q=43067", Clean)],
    );
    add(
        "POST",
        "/orgs/export.xlsx",
        vec![
            case(Staff, format!("/orgs/export.xlsx?under={org}"), Deny),
            case(Staff, "/orgs/export.xlsx?inactive=1", Clean),
        ],
    );
    add("GET", "/orgs/new", vec![case(Staff, format!("/orgs/new?parent={org}"), Deny)]);
    add("GET", "/orgs/{id}", vec![case(Staff, format!("/orgs/{org}"), Deny)]);
    add(
        "POST",
        "/orgs/{id}",
        vec![with_form(
            case(Staff, format!("/orgs/{org}"), Deny),
            &[("code", &code), ("name", "改名"), ("kind", "committee"), ("sector", "township")],
        )],
    );
    add("GET", "/orgs/{id}/children", vec![case(Staff, format!("/orgs/{org}/children"), Deny)]);
    add("GET", "/orgs/{id}/edit", vec![case(Staff, format!("/orgs/{org}/edit"), Deny)]);
    add(
        "POST",
        "/orgs/{id}/move",
        vec![
            with_form(case(Staff, format!("/orgs/{org}/move"), Deny), &[("parent", own_org)]),
            with_form(case(Staff, format!("/orgs/{}/move", o.own_org), Deny), &[("parent", &code)]),
        ],
    );
    add("POST", "/orgs/{id}/deactivate", vec![case(Staff, format!("/orgs/{org}/deactivate"), Deny)]);
    add(
        "POST",
        "/orgs/{id}/reactivate",
        vec![with_form(case(Staff, format!("/orgs/{org}/reactivate"), Deny), &[("subtree", "1")])],
    );
    add(
        "GET",
        "/people",
        vec![
            case(Staff, format!("/people?under={org}"), Deny),
            case(Staff, format!("/people?q={}", o.id_number), Clean),
            case(Staff, "/people?sort=name", Clean),
        ],
    );
    add(
        "POST",
        "/people",
        vec![with_form(
            case(Staff, "/people", Deny),
            &[("name", "越界者"), ("id_number", "430603199001011230"), ("org", &code)],
        )],
    );
    add(
        "POST",
        "/people/export.xlsx",
        vec![case(Staff, format!("/people/export.xlsx?under={org}"), Deny), case(Staff, "/people/export.xlsx", Clean)],
    );
    add("GET", "/people/new", vec![case(Staff, format!("/people/new?org={org}"), Deny)]);
    add("GET", "/people/{id}", vec![case(Staff, format!("/people/{person}"), Deny)]);
    add(
        "POST",
        "/people/{id}",
        vec![with_form(
            case(Staff, format!("/people/{person}"), Deny),
            &[("name", "改名"), ("id_number", &o.id_number), ("org", own_org)],
        )],
    );
    add("GET", "/people/{id}/edit", vec![case(Staff, format!("/people/{person}/edit"), Deny)]);
    add("POST", "/people/{id}/delete", vec![case(Staff, format!("/people/{person}/delete"), Deny)]);
    add("GET", "/import", vec![case(Staff, "/import", Clean)]);
    add("GET", "/import/{kind}", vec![case(Staff, "/import/people", Clean), case(Staff, "/import/orgs", Clean)]);
    let mut up = case(Staff, "/import/people", Deny);
    up.upload = Some(row(&code));
    let mut up_orgs = case(Staff, "/import/orgs", Deny);
    up_orgs.upload = Some(files::xlsx(
        &[
            vec!["组织代码", "组织名称", "上级组织", "组织类别", "所属领域"],
            vec!["SC-2", "越界组织", &code, "党支部", "村"],
        ],
        &[],
    ));
    add("POST", "/import/{kind}", vec![up, up_orgs]);
    add("GET", "/import/{kind}/template.xlsx", vec![case(Staff, "/import/people/template.xlsx", Clean)]);
    add("POST", "/import/{kind}/{upload}/confirm", vec![case(Staff, format!("/import/people/{upload}/confirm"), Deny)]);
    add("GET", "/import/{kind}/{upload}/result", vec![case(Staff, format!("/import/people/{upload}/result"), Deny)]);
    add(
        "POST",
        "/import/{kind}/{upload}/errors.xlsx",
        vec![case(Staff, format!("/import/people/{upload}/errors.xlsx"), Deny)],
    );
    add("GET", "/import/progress/{job}", vec![case(Staff, format!("/import/progress/{upload:x}"), Clean)]);
    add(
        "GET",
        "/admin/accounts",
        vec![case(Admin, "/admin/accounts", Clean), case(Security, "/admin/accounts?q=bstaff", Clean)],
    );
    add("GET", "/admin/accounts/new", vec![case(Admin, "/admin/accounts/new", Clean)]);
    add(
        "POST",
        "/admin/accounts",
        vec![with_form(
            case(Admin, "/admin/accounts", Deny),
            &[
                ("username", "intruder"),
                ("display_name", "越界"),
                ("roles", "org_staff"),
                ("org", &code),
                ("scope", &code),
                ("password", PASSWORD),
            ],
        )],
    );
    add(
        "GET",
        "/admin/accounts/{id}",
        vec![
            case(Admin, format!("/admin/accounts/{account}"), Deny),
            case(Security, format!("/admin/accounts/{account}"), Deny),
        ],
    );
    add("GET", "/admin/accounts/{id}/edit", vec![case(Admin, format!("/admin/accounts/{account}/edit"), Deny)]);
    add(
        "POST",
        "/admin/accounts/{id}",
        vec![with_form(
            case(Admin, format!("/admin/accounts/{account}"), Deny),
            &[("display_name", "改名"), ("roles", "org_staff"), ("org", own_org), ("scope", own_org), ("active", "1")],
        )],
    );
    add(
        "POST",
        "/admin/accounts/{id}/password",
        vec![case(Security, format!("/admin/accounts/{account}/password"), Deny)],
    );
    add("POST", "/admin/accounts/{id}/lock", vec![case(Security, format!("/admin/accounts/{account}/lock"), Deny)]);
    add("POST", "/admin/accounts/{id}/unlock", vec![case(Security, format!("/admin/accounts/{account}/unlock"), Deny)]);
    add("GET", "/admin/tokens", vec![case(Admin, "/admin/tokens", Clean)]);
    add(
        "POST",
        "/admin/tokens",
        vec![with_form(case(Admin, "/admin/tokens", Deny), &[("name", "越界令牌"), ("scope", &code)])],
    );
    add("POST", "/admin/tokens/{id}/revoke", vec![case(Admin, format!("/admin/tokens/{token}/revoke"), Deny)]);
    add(
        "GET",
        "/admin/audit",
        vec![case(Auditor, "/admin/audit", Whole), case(Auditor, "/admin/audit?user=bstaff", Whole)],
    );
    add("POST", "/admin/audit/export.xlsx", vec![case(Auditor, "/admin/audit/export.xlsx", Whole)]);
    add("POST", "/admin/audit/verify", vec![case(Auditor, "/admin/audit/verify", Whole)]);
    let campaign_form = |issuer: &str, targets: &str| {
        vec![
            ("title".to_owned(), "越界轮训".to_owned()),
            ("kind".to_owned(), "rotation".to_owned()),
            ("issuer".to_owned(), issuer.to_owned()),
            ("start".to_owned(), "2026-03-01".to_owned()),
            ("end".to_owned(), "2026-06-30".to_owned()),
            ("target_orgs".to_owned(), targets.to_owned()),
            ("max_leave".to_owned(), "1/7".to_owned()),
        ]
    };
    let form_case = |url: String, issuer: &str, targets: &str| {
        let mut c = case(Staff, url, Deny);
        c.form = campaign_form(issuer, targets);
        c
    };
    add("GET", "/campaigns", vec![case(Staff, "/campaigns", Clean), case(Staff, "/campaigns?last=1&size=50", Clean)]);
    add(
        "POST",
        "/campaigns",
        vec![form_case("/campaigns".into(), &code, ""), form_case("/campaigns".into(), YUNXI, &code)],
    );
    add("GET", "/campaigns/new", vec![case(Staff, "/campaigns/new", Clean)]);
    add("GET", "/campaigns/{id}", vec![case(Staff, format!("/campaigns/{campaign}"), Deny)]);
    add("POST", "/campaigns/{id}", vec![form_case(format!("/campaigns/{campaign}"), YUNXI, "")]);
    add("GET", "/campaigns/{id}/edit", vec![case(Staff, format!("/campaigns/{campaign}/edit"), Deny)]);
    add("POST", "/campaigns/{id}/copy", vec![case(Staff, format!("/campaigns/{campaign}/copy"), Deny)]);
    add("POST", "/campaigns/{id}/delete", vec![case(Staff, format!("/campaigns/{campaign}/delete"), Deny)]);
    add("POST", "/campaigns/{id}/notice.docx", vec![case(Staff, format!("/campaigns/{campaign}/notice.docx"), Deny)]);
    add("GET", "/api/v1/campaigns", vec![case(Api, "/api/v1/campaigns?limit=500", Clean)]);
    add("GET", "/api/v1/campaigns/{id}", vec![case(Api, format!("/api/v1/campaigns/{campaign}"), Deny)]);
    let api_campaign = |issuer: &str, orgs: &[&str]| {
        let mut c = case(Api, "/api/v1/campaigns", Deny);
        c.json = Some(
            serde_json::json!({ "title": "越界轮训", "kind": "rotation", "issuer": issuer, "start": "2026-03-01", "end": "2026-06-30", "target": { "orgs": orgs } })
                .to_string(),
        );
        c
    };
    add("POST", "/api/v1/campaigns", vec![api_campaign(&code, &[]), api_campaign(YUNXI, &[&code])]);
    add("GET", "/api/v1/openapi.json", vec![case(Api, "/api/v1/openapi.json", Clean)]);
    add(
        "GET",
        "/api/v1/orgs",
        vec![
            case(Api, format!("/api/v1/orgs?under={org}"), Deny),
            case(Api, "/api/v1/orgs?limit=500&include_inactive=true", Clean),
        ],
    );
    add("GET", "/api/v1/orgs/{id}", vec![case(Api, format!("/api/v1/orgs/{org}"), Deny)]);
    let mut api_orgs = case(Api, "/api/v1/orgs/import", Deny);
    api_orgs.json = Some(serde_json::json!({ "rows": [{ "code": "SC-3", "name": "越界组织", "parent": code, "kind": "党支部", "sector": "村" }] }).to_string());
    add("POST", "/api/v1/orgs/import", vec![api_orgs]);
    add(
        "GET",
        "/api/v1/people",
        vec![
            case(Api, format!("/api/v1/people?under={org}"), Deny),
            case(Api, format!("/api/v1/people?q={}", o.id_number), Clean),
            case(Api, "/api/v1/people?limit=500", Clean),
        ],
    );
    add("GET", "/api/v1/people/{id}", vec![case(Api, format!("/api/v1/people/{person}"), Deny)]);
    let mut api_people = case(Api, "/api/v1/people/import", Deny);
    api_people.json = Some(
        serde_json::json!({ "rows": [{ "name": "越界者", "id_number": "430603199001011230", "org": code }] })
            .to_string(),
    );
    add("POST", "/api/v1/people/import", vec![api_people]);
    // Coverage, target lists and credit hours.
    let claim = o.claim;
    let upload_case = |url: String| {
        let mut c = case(Staff, url, Deny);
        c.upload = Some(b"evidence".to_vec());
        c
    };
    // Filing upward: the other county's filing is neither read nor decided nor changed; a
    // shared city campaign's board shows this county's row only; routes and duties are the
    // city's.
    let (shared_campaign, filing, filing_file) = o.filing;
    add("GET", "/filings", vec![case(Staff, "/filings", Clean)]);
    add(
        "GET",
        "/campaigns/{id}/filings",
        vec![
            case(Staff, format!("/campaigns/{shared_campaign}/filings"), Clean),
            case(Staff, format!("/campaigns/{campaign}/filings"), Deny),
        ],
    );
    add(
        "POST",
        "/campaigns/{id}/filings/export",
        vec![case(Staff, format!("/campaigns/{campaign}/filings/export"), Deny)],
    );
    add(
        "POST",
        "/campaigns/{id}/filings/terms",
        vec![with_form(
            case(Staff, format!("/campaigns/{shared_campaign}/filings/terms"), Deny),
            &[("progress_every", "monthly")],
        )],
    );
    add(
        "POST",
        "/campaigns/{id}/filings/routes",
        vec![with_form(
            case(Staff, format!("/campaigns/{shared_campaign}/filings/routes"), Deny),
            &[("org", &code), ("receiver", YUNXI)],
        )],
    );
    add(
        "POST",
        "/campaigns/{id}/filings/routes/{route}/delete",
        vec![case(Staff, format!("/campaigns/{shared_campaign}/filings/routes/1/delete"), Deny)],
    );
    add("GET", "/campaigns/{id}/filings/new", vec![case(Staff, format!("/campaigns/{campaign}/filings/new"), Deny)]);
    add(
        "POST",
        "/campaigns/{id}/filings",
        vec![with_form(
            case(Staff, format!("/campaigns/{shared_campaign}/filings"), Deny),
            &[("org", QUYUAN), ("kind", "summary"), ("title", "越界总结")],
        )],
    );
    add("GET", "/filings/{id}", vec![case(Staff, format!("/filings/{filing}"), Deny)]);
    add(
        "POST",
        "/filings/{id}",
        vec![with_form(case(Staff, format!("/filings/{filing}"), Deny), &[("title", "越界"), ("body", "")])],
    );
    add("POST", "/filings/{id}/files", vec![upload_case(format!("/filings/{filing}/files"))]);
    add("GET", "/filings/{id}/files/{file}", vec![case(Staff, format!("/filings/{filing}/files/{filing_file}"), Deny)]);
    add(
        "POST",
        "/filings/{id}/files/{file}/delete",
        vec![case(Staff, format!("/filings/{filing}/files/{filing_file}/delete"), Deny)],
    );
    add("POST", "/filings/{id}/submit", vec![case(Staff, format!("/filings/{filing}/submit"), Deny)]);
    add(
        "POST",
        "/filings/{id}/decide",
        vec![with_form(case(Staff, format!("/filings/{filing}/decide"), Deny), &[("action", "accept")])],
    );
    add("POST", "/filings/{id}/version", vec![case(Staff, format!("/filings/{filing}/version"), Deny)]);
    add("POST", "/filings/{id}/draft", vec![case(Staff, format!("/filings/{filing}/draft"), Deny)]);
    add("POST", "/filings/{id}/docx", vec![case(Staff, format!("/filings/{filing}/docx"), Deny)]);
    add(
        "GET",
        "/api/v1/campaigns/{id}/filings",
        vec![
            case(Api, format!("/api/v1/campaigns/{shared_campaign}/filings"), Clean),
            case(Api, format!("/api/v1/campaigns/{campaign}/filings"), Deny),
        ],
    );
    // Practice bases: the other county's application is neither read nor changed nor
    // decided; quotas and applications name no organisation over there.
    let (base, base_file) = o.base;
    add("GET", "/bases", vec![case(Staff, "/bases", Clean)]);
    add("POST", "/bases/export", vec![case(Staff, "/bases/export", Clean)]);
    add(
        "POST",
        "/bases/quotas",
        vec![with_form(
            case(Staff, "/bases/quotas", Deny),
            &[("county", "430671"), ("villages", "9"), ("communities", "9")],
        )],
    );
    add("GET", "/bases/new", vec![case(Staff, "/bases/new", Clean)]);
    add(
        "POST",
        "/bases",
        vec![with_form(case(Staff, "/bases", Deny), &[("org", "430671101"), ("name", "越界基地"), ("kind", "other")])],
    );
    add("GET", "/bases/{id}", vec![case(Staff, format!("/bases/{base}"), Deny)]);
    add("POST", "/bases/{id}/application.docx", vec![case(Staff, format!("/bases/{base}/application.docx"), Deny)]);
    add("POST", "/bases/{id}/files", vec![upload_case(format!("/bases/{base}/files"))]);
    add("GET", "/bases/{id}/files/{file}", vec![case(Staff, format!("/bases/{base}/files/{base_file}"), Deny)]);
    add(
        "POST",
        "/bases/{id}/files/{file}/delete",
        vec![case(Staff, format!("/bases/{base}/files/{base_file}/delete"), Deny)],
    );
    add(
        "POST",
        "/bases/{id}",
        vec![with_form(
            case(Staff, format!("/bases/{base}"), Deny),
            &[("org", "430671101"), ("name", "越界"), ("kind", "other")],
        )],
    );
    add(
        "POST",
        "/bases/{id}/act",
        vec![with_form(case(Staff, format!("/bases/{base}/act"), Deny), &[("action", "accredit_county")])],
    );
    add(
        "POST",
        "/bases/{id}/review",
        vec![with_form(case(Staff, format!("/bases/{base}/review"), Deny), &[("note", "越界")])],
    );
    add("GET", "/api/v1/bases", vec![case(Api, "/api/v1/bases?state=draft", Clean)]);
    // Batch plans.
    let plan = o.plan;
    add("GET", "/campaigns/{id}/plans", vec![case(Staff, format!("/campaigns/{campaign}/plans"), Deny)]);
    add("GET", "/campaigns/{id}/plans/new", vec![case(Staff, format!("/campaigns/{campaign}/plans/new"), Deny)]);
    add(
        "POST",
        "/campaigns/{id}/plans",
        vec![with_form(
            case(Staff, format!("/campaigns/{campaign}/plans"), Deny),
            &[
                ("organiser", &code),
                ("title", "越界"),
                ("level", "county"),
                ("start", "2026-03-02"),
                ("end", "2026-06-30"),
                ("batch_days", "3"),
                ("capacity", "50"),
                ("venues", "1"),
            ],
        )],
    );
    add("GET", "/plans/{id}", vec![case(Staff, format!("/plans/{plan}"), Deny)]);
    add(
        "POST",
        "/plans/{id}/adjust",
        vec![with_form(
            case(Staff, format!("/plans/{plan}/adjust"), Deny),
            &[("action", "merge"), ("into", "1"), ("from", "2")],
        )],
    );
    add("POST", "/plans/{id}/accept", vec![case(Staff, format!("/plans/{plan}/accept"), Deny)]);
    add("POST", "/plans/{id}/delete", vec![case(Staff, format!("/plans/{plan}/delete"), Deny)]);
    add("GET", "/campaigns/{id}/coverage", vec![case(Staff, format!("/campaigns/{campaign}/coverage"), Deny)]);
    add(
        "POST",
        "/campaigns/{id}/coverage/export",
        vec![case(Staff, format!("/campaigns/{campaign}/coverage/export"), Deny)],
    );
    add(
        "POST",
        "/campaigns/{id}/coverage/refresh",
        vec![case(Staff, format!("/campaigns/{campaign}/coverage/refresh"), Deny)],
    );
    add("GET", "/campaigns/{id}/targets", vec![case(Staff, format!("/campaigns/{campaign}/targets"), Deny)]);
    add(
        "POST",
        "/campaigns/{id}/targets/export",
        vec![case(Staff, format!("/campaigns/{campaign}/targets/export"), Deny)],
    );
    add("GET", "/people/{id}/credits", vec![case(Staff, format!("/people/{person}/credits"), Deny)]);
    add("POST", "/people/{id}/credits/claims", vec![upload_case(format!("/people/{person}/credits/claims"))]);
    add(
        "GET",
        "/credits/behind",
        vec![case(Staff, "/credits/behind", Clean), case(Staff, format!("/credits/behind?under={org}"), Deny)],
    );
    add(
        "POST",
        "/credits/behind/export",
        vec![
            case(Staff, "/credits/behind/export", Clean),
            case(Staff, format!("/credits/behind/export?under={org}"), Deny),
        ],
    );
    add("GET", "/credits/claims", vec![case(Staff, "/credits/claims", Clean)]);
    add("GET", "/credits/records/{id}/evidence", vec![case(Staff, format!("/credits/records/{claim}/evidence"), Deny)]);
    add("POST", "/credits/claims/{id}/approve", vec![case(Staff, format!("/credits/claims/{claim}/approve"), Deny)]);
    add(
        "POST",
        "/credits/claims/{id}/reject",
        vec![with_form(case(Staff, format!("/credits/claims/{claim}/reject"), Deny), &[("reason", "越界")])],
    );
    add("GET", "/me/credits", vec![case(Cadre, "/me/credits", Clean)]);
    let mut mine = upload_case("/me/credits/claims".into());
    mine.who = Cadre;
    add("POST", "/me/credits/claims", vec![mine]);
    add(
        "GET",
        "/api/v1/campaigns/{id}/coverage",
        vec![
            case(Api, format!("/api/v1/campaigns/{campaign}/coverage"), Deny),
            case(Api, format!("/api/v1/campaigns/{campaign}/coverage?org={code}"), Deny),
        ],
    );
    add(
        "GET",
        "/api/v1/people/{id}/credits",
        vec![
            case(Api, format!("/api/v1/people/{person}/credits"), Deny),
            case(Api, format!("/api/v1/people/{}/credits", o.id_number), Deny),
        ],
    );
    let mut api_credits = case(Api, "/api/v1/credits/import", Deny);
    api_credits.json = Some(
        serde_json::json!([{ "id_number": o.id_number, "title": "越界课程", "date": "2026-03-01", "hours": "2", "provider": "网院" }])
            .to_string(),
    );
    add("POST", "/api/v1/credits/import", vec![api_credits]);
    // Enrolment through the import: the other county's class, and its person into a shared class.
    let enrol_rows = |class: i64, id: &str| {
        let mut c = case(Api, "/api/v1/enrolments/import", Deny);
        c.json = Some(serde_json::json!([{ "class_id": class.to_string(), "id_number": id }]).to_string());
        c
    };
    add(
        "POST",
        "/api/v1/enrolments/import",
        vec![enrol_rows(o.class_room.class, "430603199001011230"), enrol_rows(o.shared_class.0, &o.id_number)],
    );
    class_cases(o, &mut m);
    enrolment_cases(o, &mut m);
    meeting_cases(o, &mut m);
    study_group_cases(o, &mut m);
    study_group_page_cases(o, &mut m);
    study_log_cases(o, &mut m);
    material_cases(o, &mut m);
    m
}

/// The materials library and full-text search (issue 13 items 4 and 5): this county's
/// propaganda staff and token neither read, find, change nor export the other county's
/// materials, nor add one under it.
fn material_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    let id = o.material;
    let code = o.org_code.clone();
    let fields = |org: &str| -> Vec<(String, String)> {
        [("title", "越界资料"), ("kind", "speech"), ("date", "2025-01-01"), ("org", org), ("body", "越界")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let posted = |url: String, org: &str| {
        let mut c = case(Propaganda, url, Deny);
        c.form = fields(org);
        c
    };
    add(
        "GET",
        "/materials",
        vec![
            case(Propaganda, "/materials", Clean),
            case(Propaganda, "/materials?q=%E5%AD%A6%E4%B9%A0&tag=%E5%85%9A%E5%BB%BA", Clean),
            case(Staff, "/materials", Clean),
        ],
    );
    add("POST", "/materials", vec![posted("/materials".into(), &code)]);
    add("GET", "/materials/new", vec![case(Propaganda, "/materials/new", Clean)]);
    add(
        "POST",
        "/materials/export.xlsx",
        vec![case(Propaganda, "/materials/export.xlsx?tag=%E5%85%9A%E5%BB%BA", Clean)],
    );
    add("GET", "/materials/{id}", vec![case(Propaganda, format!("/materials/{id}"), Deny)]);
    add(
        "POST",
        "/materials/{id}",
        vec![posted(format!("/materials/{id}"), YUNXI), posted(format!("/materials/{id}"), &code)],
    );
    add("GET", "/materials/{id}/edit", vec![case(Propaganda, format!("/materials/{id}/edit"), Deny)]);
    add("POST", "/materials/{id}/delete", vec![case(Propaganda, format!("/materials/{id}/delete"), Deny)]);
    add(
        "GET",
        "/search",
        vec![
            case(Propaganda, "/search?q=%E5%AD%A6%E4%B9%A0", Clean),
            case(Propaganda, "/search?q=%E5%85%9A%E5%BB%BA&kind=material", Clean),
            case(Staff, "/search?q=%E5%AD%A6%E4%B9%A0", Clean),
        ],
    );
    add(
        "GET",
        "/api/v1/materials",
        vec![case(Api, "/api/v1/materials", Clean), case(Api, "/api/v1/materials?tag=%E5%85%9A%E5%BB%BA", Clean)],
    );
    let api_material = |org: &str| {
        let mut c = case(Api, "/api/v1/materials", Deny);
        c.json = Some(
            serde_json::json!({ "org": org, "title": "越界资料", "kind": "speech", "date": "2025-01-01" }).to_string(),
        );
        c
    };
    add("POST", "/api/v1/materials", vec![api_material(&code), api_material(QUYUAN)]);
    add("GET", "/api/v1/materials/{id}", vec![case(Api, format!("/api/v1/materials/{id}"), Deny)]);
    add(
        "GET",
        "/api/v1/search",
        vec![
            case(Api, "/api/v1/search?q=%E5%AD%A6%E4%B9%A0", Clean),
            case(Api, "/api/v1/search?q=%E5%85%9A%E5%BB%BA", Clean),
        ],
    );
    let mut api_import = case(Api, "/api/v1/materials/import", Deny);
    api_import.json = Some(
        serde_json::json!([{ "org": code, "title": "越界资料", "kind": "讲话", "date": "2025-01-01" }]).to_string(),
    );
    add("POST", "/api/v1/materials/import", vec![api_import]);
}

/// Leaders' study logs (issue 13 item 3): a leader reaches only their own log; staff of
/// this county never reach the other county's entries, leaders or rules.
fn study_log_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    let (log, rule, leader, number) = (o.study.log, o.study.rule, o.study.leader, o.study.id_number.clone());
    let org = o.org;
    let entry = [("mode", "grassroots"), ("date", "2025-07-01"), ("title", "越界宣讲"), ("id_number", number.as_str())];
    let posted = |who: Who, url: String| with_form(case(who, url, Deny), &entry);
    add("GET", "/me/study", vec![case(Cadre, "/me/study", Clean)]);
    add("POST", "/me/study/logs", vec![posted(Cadre, "/me/study/logs".into())]);
    add("GET", "/me/study/logs/{id}", vec![case(Cadre, format!("/me/study/logs/{log}"), Deny)]);
    add("POST", "/me/study/logs/{id}", vec![posted(Cadre, format!("/me/study/logs/{log}"))]);
    add("POST", "/me/study/logs/{id}/delete", vec![case(Cadre, format!("/me/study/logs/{log}/delete"), Deny)]);
    add(
        "GET",
        "/study/leaders",
        vec![case(Staff, "/study/leaders", Clean), case(Propaganda, format!("/study/leaders?under={org}"), Deny)],
    );
    add(
        "GET",
        "/study/warnings",
        vec![
            case(Propaganda, "/study/warnings", Clean),
            case(Propaganda, format!("/study/warnings?under={org}"), Deny),
        ],
    );
    add(
        "POST",
        "/study/leaders/export",
        vec![
            case(Propaganda, "/study/leaders/export?warned=1", Clean),
            case(Propaganda, format!("/study/leaders/export?under={org}"), Deny),
        ],
    );
    add("GET", "/study/people/{id}", vec![case(Propaganda, format!("/study/people/{leader}"), Deny)]);
    add(
        "GET",
        "/study/logs",
        vec![case(Staff, "/study/logs?year=2025", Clean), case(Propaganda, format!("/study/logs?under={org}"), Deny)],
    );
    add(
        "POST",
        "/study/logs/export",
        vec![
            case(Propaganda, "/study/logs/export", Clean),
            case(Propaganda, format!("/study/logs/export?under={org}"), Deny),
        ],
    );
    add(
        "GET",
        "/study/logs/new",
        vec![
            case(Propaganda, "/study/logs/new", Clean),
            case(Propaganda, format!("/study/logs/new?person={leader}"), Deny),
        ],
    );
    add("POST", "/study/logs", vec![posted(Propaganda, "/study/logs".into())]);
    add("GET", "/study/logs/{id}", vec![case(Propaganda, format!("/study/logs/{log}"), Deny)]);
    add("POST", "/study/logs/{id}/delete", vec![case(Propaganda, format!("/study/logs/{log}/delete"), Deny)]);
    add("GET", "/study/quotas", vec![case(Propaganda, "/study/quotas", Clean)]);
    add(
        "POST",
        "/study/quotas",
        vec![with_form(
            case(Propaganda, "/study/quotas", Clean),
            &[("mode", "exchange"), ("period", "year"), ("required", "2"), ("subject", "leaders")],
        )],
    );
    add("POST", "/study/quotas/{id}/delete", vec![case(Propaganda, format!("/study/quotas/{rule}/delete"), Deny)]);
    add("GET", "/api/v1/study-logs", vec![case(Api, format!("/api/v1/study-logs?id_number={number}"), Deny)]);
    let mut api = case(Api, "/api/v1/study-logs", Deny);
    api.json = Some(
        serde_json::json!({ "id_number": number, "mode": "self_study", "date": "2025-07-01", "title": "越界学习" })
            .to_string(),
    );
    add("POST", "/api/v1/study-logs", vec![api]);
}

/// Committee meetings and the first agenda item (issue 13 item 1): propaganda staff of
/// this county can record, correct and follow up, but never reach the other county's.
fn meeting_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    let (meeting, measure) = o.meeting;
    let code = o.org_code.clone();
    let form = |org: &str, chair: &str| {
        vec![
            ("org".to_owned(), org.to_owned()),
            ("kind".to_owned(), "committee".to_owned()),
            ("date".to_owned(), "2025-07-02".to_owned()),
            ("chair".to_owned(), chair.to_owned()),
            ("first_is_study".to_owned(), "1".to_owned()),
            ("study_title".to_owned(), "越界学习".to_owned()),
            ("study_source".to_owned(), "speech".to_owned()),
            ("study_lead".to_owned(), chair.to_owned()),
            ("reason".to_owned(), "越界更正".to_owned()),
            ("content".to_owned(), "越界措施".to_owned()),
            ("owner".to_owned(), chair.to_owned()),
        ]
    };
    let posted = |url: String, org: &str, chair: &str| {
        let mut c = case(Propaganda, url, Deny);
        c.form = form(org, chair);
        c
    };
    let person = o.person.to_string();
    add(
        "GET",
        "/study/meetings",
        vec![
            case(Staff, "/study/meetings", Clean),
            case(Propaganda, format!("/study/meetings?org={code}"), Clean),
            case(Propaganda, format!("/study/meetings?org={QUYUAN}&year=2025"), Clean),
        ],
    );
    add(
        "POST",
        "/study/meetings",
        vec![posted("/study/meetings".into(), &code, &person), posted("/study/meetings".into(), YUNXI, &person)],
    );
    add(
        "GET",
        "/study/meetings/new",
        vec![
            case(Propaganda, "/study/meetings/new", Clean),
            case(Propaganda, format!("/study/meetings/new?org={code}"), Deny),
        ],
    );
    add(
        "GET",
        "/study/meetings/compliance",
        vec![
            case(Staff, "/study/meetings/compliance?year=2025", Clean),
            case(Propaganda, format!("/study/meetings/compliance?org={QUYUAN}&year=2025"), Deny),
        ],
    );
    add(
        "POST",
        "/study/meetings/compliance/export",
        vec![
            case(Propaganda, "/study/meetings/compliance/export?year=2025", Clean),
            case(Propaganda, format!("/study/meetings/compliance/export?org={QUYUAN}&year=2025"), Deny),
        ],
    );
    add("GET", "/study/meetings/{id}", vec![case(Propaganda, format!("/study/meetings/{meeting}"), Deny)]);
    add("POST", "/study/meetings/{id}", vec![posted(format!("/study/meetings/{meeting}"), &code, &person)]);
    add("GET", "/study/meetings/{id}/edit", vec![case(Propaganda, format!("/study/meetings/{meeting}/edit"), Deny)]);
    add(
        "POST",
        "/study/meetings/{id}/archive",
        vec![posted(format!("/study/meetings/{meeting}/archive"), &code, &person)],
    );
    add(
        "GET",
        "/study/meetings/{id}/correct",
        vec![case(Propaganda, format!("/study/meetings/{meeting}/correct"), Deny)],
    );
    add(
        "POST",
        "/study/meetings/{id}/correct",
        vec![posted(format!("/study/meetings/{meeting}/correct"), &code, &person)],
    );
    add(
        "POST",
        "/study/meetings/{id}/measures",
        vec![posted(format!("/study/meetings/{meeting}/measures"), &code, &person)],
    );
    add(
        "POST",
        "/study/meetings/{id}/measures/{measure}",
        vec![posted(format!("/study/meetings/{meeting}/measures/{measure}"), &code, &person)],
    );
    add(
        "GET",
        "/api/v1/meetings",
        vec![case(Api, "/api/v1/meetings?year=2025", Clean), case(Api, format!("/api/v1/meetings?org={QUYUAN}"), Deny)],
    );
    let api_meeting = |org: &str, chair: &str| {
        let mut c = case(Api, "/api/v1/meetings", Deny);
        c.json = Some(
            serde_json::json!({
                "org": org, "kind": "committee", "date": "2025-07-02", "chair": chair, "attendees": [chair],
                "agenda": [{ "title": "越界", "study": { "title": "越界学习", "source": "speech", "lead": chair, "form": "relay" } }]
            })
            .to_string(),
        );
        c
    };
    add("POST", "/api/v1/meetings", vec![api_meeting(QUYUAN, &o.id_number), api_meeting(YUNXI, &o.id_number)]);
    add(
        "GET",
        "/api/v1/study/compliance",
        vec![
            case(Api, "/api/v1/study/compliance?year=2025", Clean),
            case(Api, format!("/api/v1/study/compliance?org={QUYUAN}&year=2025"), Deny),
        ],
    );
    add(
        "GET",
        "/study/oversight",
        vec![
            case(Propaganda, "/study/oversight?year=2025", Clean),
            case(Propaganda, format!("/study/oversight?org={QUYUAN}&year=2025"), Deny),
        ],
    );
    add(
        "POST",
        "/study/oversight/export",
        vec![
            case(Propaganda, "/study/oversight/export?year=2025", Clean),
            case(Propaganda, format!("/study/oversight/export?org={QUYUAN}&year=2025"), Deny),
        ],
    );
    add(
        "GET",
        "/api/v1/study/oversight",
        vec![
            case(Api, "/api/v1/study/oversight?year=2025", Clean),
            case(Api, format!("/api/v1/study/oversight?org={QUYUAN}&year=2025"), Deny),
        ],
    );
}

/// Central study groups in the API: the other county's group is neither listed nor reached.
fn study_group_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let (group, _, _, _, _) = o.study_group;
    m.insert(("GET", "/api/v1/study-groups"), vec![case(Api, "/api/v1/study-groups", Clean)]);
    m.insert(
        ("GET", "/api/v1/study-groups/{id}/sessions"),
        vec![case(Api, format!("/api/v1/study-groups/{group}/sessions?year=2025"), Deny)],
    );
    let mut post = case(Api, format!("/api/v1/study-groups/{group}/sessions"), Deny);
    post.json = Some(
        serde_json::json!({ "date": "2025-07-02", "topic": "越界学习", "lead": o.id_number,
            "attendance": [{ "id_number": o.id_number, "presence": "present" }] })
        .to_string(),
    );
    m.insert(("POST", "/api/v1/study-groups/{id}/sessions"), vec![post]);
}

/// Study-group pages: propaganda staff of this county never reach the other county's
/// group, plans, sessions, reports, ledger or rules, nor create anything over there.
fn study_group_page_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let (group, plan, session, report, rule) = o.study_group;
    let code = o.org_code.clone();
    let person = o.person.to_string();
    let form: Vec<(&str, &str)> = vec![
        ("org", code.as_str()),
        ("name", "越界中心组"),
        ("member", person.as_str()),
        ("year", "2026"),
        ("kind", "annual"),
        ("title", "越界"),
        ("body", "越界"),
        ("topic_1", "越界"),
        ("date", "2026-07-02"),
        ("topic", "越界"),
        ("lead", person.as_str()),
        ("person", person.as_str()),
        ("reason", "越界更正"),
        ("comments", "越界意见"),
    ];
    let deny = |url: String| with_form(case(Propaganda, url, Deny), &form);
    let get = |url: String| case(Propaganda, url, Deny);
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    add(
        "GET",
        "/study/groups",
        vec![case(Propaganda, "/study/groups", Clean), case(Propaganda, format!("/study/groups?org={QUYUAN}"), Clean)],
    );
    add("GET", "/study/groups/new", vec![case(Propaganda, "/study/groups/new", Clean)]);
    add("POST", "/study/groups", vec![deny("/study/groups".into())]);
    add("GET", "/study/groups/{id}", vec![get(format!("/study/groups/{group}"))]);
    add("GET", "/study/groups/{id}/edit", vec![get(format!("/study/groups/{group}/edit"))]);
    add("POST", "/study/groups/{id}", vec![deny(format!("/study/groups/{group}"))]);
    add("GET", "/study/groups/{id}/ledger", vec![get(format!("/study/groups/{group}/ledger?year=2026"))]);
    add(
        "POST",
        "/study/groups/{id}/ledger/export",
        vec![deny(format!("/study/groups/{group}/ledger/export?year=2026"))],
    );
    add("GET", "/study/groups/{id}/plans/new", vec![get(format!("/study/groups/{group}/plans/new"))]);
    add("POST", "/study/groups/{id}/plans", vec![deny(format!("/study/groups/{group}/plans"))]);
    add("GET", "/study/groups/{id}/sessions/new", vec![get(format!("/study/groups/{group}/sessions/new"))]);
    add("POST", "/study/groups/{id}/sessions", vec![deny(format!("/study/groups/{group}/sessions"))]);
    add("GET", "/study/groups/{id}/reports/new", vec![get(format!("/study/groups/{group}/reports/new"))]);
    add("POST", "/study/groups/{id}/reports", vec![deny(format!("/study/groups/{group}/reports"))]);
    add("GET", "/study/plans/awaiting", vec![case(Propaganda, "/study/plans/awaiting", Clean)]);
    add("GET", "/study/plans/{id}", vec![get(format!("/study/plans/{plan}"))]);
    add("GET", "/study/plans/{id}/edit", vec![get(format!("/study/plans/{plan}/edit"))]);
    add("POST", "/study/plans/{id}", vec![deny(format!("/study/plans/{plan}"))]);
    for (path, action) in [
        ("/study/plans/{id}/submit", "submit"),
        ("/study/plans/{id}/return", "return"),
        ("/study/plans/{id}/approve", "approve"),
    ] {
        add("POST", path, vec![deny(format!("/study/plans/{plan}/{action}"))]);
    }
    add("GET", "/study/plans/{id}/correct", vec![get(format!("/study/plans/{plan}/correct"))]);
    add("POST", "/study/plans/{id}/correct", vec![deny(format!("/study/plans/{plan}/correct"))]);
    add("GET", "/study/sessions/{id}", vec![get(format!("/study/sessions/{session}"))]);
    add("GET", "/study/sessions/{id}/edit", vec![get(format!("/study/sessions/{session}/edit"))]);
    add("POST", "/study/sessions/{id}", vec![deny(format!("/study/sessions/{session}"))]);
    add("POST", "/study/sessions/{id}/close", vec![deny(format!("/study/sessions/{session}/close"))]);
    add("GET", "/study/sessions/{id}/correct", vec![get(format!("/study/sessions/{session}/correct"))]);
    add("POST", "/study/sessions/{id}/correct", vec![deny(format!("/study/sessions/{session}/correct"))]);
    add("GET", "/study/reports/{id}", vec![get(format!("/study/reports/{report}"))]);
    add("GET", "/study/reports/{id}/edit", vec![get(format!("/study/reports/{report}/edit"))]);
    add("POST", "/study/reports/{id}", vec![deny(format!("/study/reports/{report}"))]);
    add("GET", "/study/group-rules", vec![case(Propaganda, "/study/group-rules", Clean)]);
    add(
        "POST",
        "/study/group-rules",
        vec![with_form(
            // The page sets the account's own body's rules; an organisation typed in is ignored.
            case(Propaganda, "/study/group-rules", Clean),
            &[
                ("org", code.as_str()),
                ("sessions_per_year", "12"),
                ("thematic_per_year", "4"),
                ("attendance_min", "80"),
            ],
        )],
    );
    add("POST", "/study/group-rules/{id}/delete", vec![deny(format!("/study/group-rules/{rule}/delete"))]);
}

/// Classes, their timetables, the instructor pool and the venue list.
fn class_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    let OtherClass { class, session, instructor, venue } = o.class_room;
    let code = o.org_code.clone();
    let class_form = |organiser: &str, alloc: &str| {
        vec![
            ("title".to_owned(), "越界班次".to_owned()),
            ("organiser".to_owned(), organiser.to_owned()),
            ("level".to_owned(), "county".to_owned()),
            ("start".to_owned(), "2026-04-13".to_owned()),
            ("end".to_owned(), "2026-04-15".to_owned()),
            ("capacity".to_owned(), "50".to_owned()),
            ("alloc_org".to_owned(), alloc.to_owned()),
            ("alloc_places".to_owned(), "5".to_owned()),
        ]
    };
    let form_case = |url: String, organiser: &str, alloc: &str| {
        let mut c = case(Staff, url, Deny);
        c.form = class_form(organiser, alloc);
        c
    };
    let session_form = || {
        with_form(
            case(Staff, format!("/classes/{class}/sessions"), Deny),
            &[("date", "2026-04-14"), ("slot", "pm"), ("topic", "越界"), ("mode", "lecture"), ("hours", "3")],
        )
    };
    add(
        "GET",
        "/classes",
        vec![case(Staff, "/classes", Clean), case(Staff, format!("/classes?campaign={}", o.campaign), Clean)],
    );
    add("POST", "/classes", vec![form_case("/classes".into(), &code, ""), form_case("/classes".into(), YUNXI, &code)]);
    add(
        "GET",
        "/classes/new",
        vec![case(Staff, "/classes/new", Clean), case(Staff, format!("/classes/new?campaign_id={}", o.campaign), Deny)],
    );
    add("GET", "/classes/{id}", vec![case(Staff, format!("/classes/{class}"), Deny)]);
    add("POST", "/classes/{id}", vec![form_case(format!("/classes/{class}"), YUNXI, "")]);
    add("GET", "/classes/{id}/edit", vec![case(Staff, format!("/classes/{class}/edit"), Deny)]);
    add("POST", "/classes/{id}/delete", vec![case(Staff, format!("/classes/{class}/delete"), Deny)]);
    add("GET", "/classes/{id}/timetable", vec![case(Staff, format!("/classes/{class}/timetable"), Deny)]);
    add("POST", "/classes/{id}/timetable.xlsx", vec![case(Staff, format!("/classes/{class}/timetable.xlsx"), Deny)]);
    add("GET", "/classes/{id}/sessions/new", vec![case(Staff, format!("/classes/{class}/sessions/new"), Deny)]);
    add("POST", "/classes/{id}/sessions", vec![session_form()]);
    add(
        "GET",
        "/classes/{id}/sessions/{sid}/edit",
        vec![case(Staff, format!("/classes/{class}/sessions/{session}/edit"), Deny)],
    );
    add(
        "POST",
        "/classes/{id}/sessions/{sid}",
        vec![with_form(
            case(Staff, format!("/classes/{class}/sessions/{session}"), Deny),
            &[("date", "2026-04-14"), ("slot", "pm"), ("topic", "越界"), ("mode", "lecture"), ("hours", "3")],
        )],
    );
    add(
        "POST",
        "/classes/{id}/sessions/{sid}/delete",
        vec![case(Staff, format!("/classes/{class}/sessions/{session}/delete"), Deny)],
    );
    for (base, id, fields) in [
        ("instructors", instructor, [("name", "越界教师"), ("kind", "expert")]),
        ("venues", venue, [("name", "越界场地"), ("kind", "classroom")]),
    ] {
        let (list, one, edit, active, new) = match base {
            "instructors" => (
                "/instructors",
                "/instructors/{id}",
                "/instructors/{id}/edit",
                "/instructors/{id}/active",
                "/instructors/new",
            ),
            _ => ("/venues", "/venues/{id}", "/venues/{id}/edit", "/venues/{id}/active", "/venues/new"),
        };
        let with_org = |url: String, org: &str| {
            let mut f: Vec<(&str, &str)> = fields.to_vec();
            f.push(("org", org));
            with_form(case(Staff, url, Deny), &f)
        };
        add("GET", list, vec![case(Staff, list, Clean)]);
        add("POST", list, vec![with_org(list.to_owned(), &code)]);
        add("GET", new, vec![case(Staff, new, Clean)]);
        add("GET", edit, vec![case(Staff, format!("/{base}/{id}/edit"), Deny)]);
        add("POST", one, vec![with_org(format!("/{base}/{id}"), YUNXI)]);
        add(
            "POST",
            active,
            vec![
                with_form(case(Staff, format!("/{base}/{id}/active"), Deny), &[("active", "1")]),
                case(Staff, format!("/{base}/{id}/active"), Deny),
            ],
        );
    }
    add(
        "GET",
        "/api/v1/classes",
        vec![
            case(Api, "/api/v1/classes?limit=500", Clean),
            case(Api, format!("/api/v1/classes?campaign_id={}", o.campaign), Clean),
        ],
    );
    let api_class = |organiser: &str, alloc: &str| {
        let mut c = case(Api, "/api/v1/classes", Deny);
        let allocations =
            if alloc.is_empty() { serde_json::json!([]) } else { serde_json::json!([{ "org": alloc, "places": 5 }]) };
        c.json = Some(
            serde_json::json!({ "title": "越界班次", "organiser": organiser, "level": "county", "start": "2026-04-13", "end": "2026-04-15", "capacity": 50, "allocations": allocations })
                .to_string(),
        );
        c
    };
    add("POST", "/api/v1/classes", vec![api_class(&code, ""), api_class(YUNXI, &code)]);
    add("GET", "/api/v1/classes/{id}", vec![case(Api, format!("/api/v1/classes/{class}"), Deny)]);
    add("GET", "/api/v1/classes/{id}/sessions", vec![case(Api, format!("/api/v1/classes/{class}/sessions"), Deny)]);
    let mut api_session = case(Api, format!("/api/v1/classes/{class}/sessions"), Deny);
    api_session.json = Some(
        serde_json::json!({ "date": "2026-04-14", "slot": "pm", "topic": "越界", "mode": "lecture", "hours": 3 })
            .to_string(),
    );
    add("POST", "/api/v1/classes/{id}/sessions", vec![api_session]);
}

/// The other county's person enrolled in its own class, and a city class with people of
/// both counties (each county sees only its own there).
async fn shared_class(db: &xuepei_store::DatabaseConnection, other_class: i64, b_person: i64) -> (i64, i64) {
    use xuepei_store::enrolments::{self, PersonRef};
    let sys = Scope::system();
    let a_person = someone_under(db, YUNXI).await;
    write(db, &sys, async |tx| {
        enrolments::enrol(tx, other_class, &[PersonRef::Id(b_person)]).await?;
        let input = xuepei_store::classes::ClassInput {
            allocations: vec![(YUNXI.into(), 10), (QUYUAN.into(), 10)],
            start: chrono::NaiveDate::from_ymd_opt(2026, 5, 11),
            end: chrono::NaiveDate::from_ymd_opt(2026, 5, 14),
            ..crate::classes::class_input(None, "市级共同班", crate::classes::CITY)
        };
        let c = xuepei_store::classes::create(tx, &input).await?;
        let si = crate::classes::session_input((2026, 5, 11), "am", "共同专题", "lecture", "3");
        let s = xuepei_store::classes::sessions::add(tx, c.id, &si).await?;
        enrolments::enrol(tx, c.id, &[PersonRef::Id(a_person.id), PersonRef::Id(b_person)]).await?;
        Ok((c.id, s.id))
    })
    .await
    .expect("shared class")
}

/// Enrolment, leave, attendance, completion, check-in and 我的培训.
fn enrolment_cases(o: &Other, m: &mut HashMap<(&'static str, &'static str), Vec<Case>>) {
    use Expect::*;
    use Who::*;
    let mut add = |method, path, c: Vec<Case>| {
        m.insert((method, path), c);
    };
    let (class, session) = (o.class_room.class, o.class_room.session);
    let (shared, shared_session) = o.shared_class;
    let person = o.person;
    let number = o.id_number.clone();
    let json_case = |url: String, body: serde_json::Value| {
        let mut c = case(Api, url, Deny);
        c.json = Some(body.to_string());
        c
    };
    add(
        "GET",
        "/classes/{id}/enrolments",
        vec![
            case(Staff, format!("/classes/{class}/enrolments"), Deny),
            case(Staff, format!("/classes/{shared}/enrolments"), Clean),
            case(Staff, format!("/classes/{shared}/enrolments?status=enrolled"), Clean),
        ],
    );
    add(
        "GET",
        "/classes/{id}/enrolments/print",
        vec![
            case(Staff, format!("/classes/{class}/enrolments/print"), Deny),
            case(Staff, format!("/classes/{shared}/enrolments/print"), Clean),
        ],
    );
    add(
        "POST",
        "/classes/{id}/enrolments/export.xlsx",
        vec![
            case(Staff, format!("/classes/{class}/enrolments/export.xlsx"), Deny),
            case(Staff, format!("/classes/{shared}/enrolments/export.xlsx"), Clean),
        ],
    );
    add(
        "POST",
        "/classes/{id}/enrolments",
        vec![
            with_form(case(Staff, format!("/classes/{class}/enrolments"), Deny), &[("id_numbers", &number)]),
            with_form(case(Staff, format!("/classes/{shared}/enrolments"), Deny), &[("id_numbers", &number)]),
        ],
    );
    add(
        "GET",
        "/classes/{id}/enrolments/nominate",
        vec![
            case(Staff, format!("/classes/{class}/enrolments/nominate"), Deny),
            case(Staff, format!("/classes/{shared}/enrolments/nominate?q={number}"), Clean),
        ],
    );
    add(
        "POST",
        "/classes/{id}/enrolments/{pid}/withdraw",
        vec![
            with_form(
                case(Staff, format!("/classes/{class}/enrolments/{person}/withdraw"), Deny),
                &[("reason", "越界")],
            ),
            with_form(
                case(Staff, format!("/classes/{shared}/enrolments/{person}/withdraw"), Deny),
                &[("reason", "越界")],
            ),
        ],
    );
    add(
        "GET",
        "/classes/{id}/enrolments/{pid}/replace",
        vec![
            case(Staff, format!("/classes/{class}/enrolments/{person}/replace"), Deny),
            case(Staff, format!("/classes/{shared}/enrolments/{person}/replace"), Deny),
        ],
    );
    add(
        "POST",
        "/classes/{id}/enrolments/{pid}/replace",
        vec![with_form(
            case(Staff, format!("/classes/{shared}/enrolments/{person}/replace"), Deny),
            &[("id_number", "430603199001011230"), ("reason", "越界")],
        )],
    );
    add(
        "GET",
        "/classes/{id}/leave",
        vec![
            case(Staff, format!("/classes/{class}/leave"), Deny),
            case(Staff, format!("/classes/{shared}/leave"), Clean),
        ],
    );
    add(
        "POST",
        "/classes/{id}/leave",
        vec![
            with_form(
                case(Staff, format!("/classes/{class}/leave"), Deny),
                &[("id_number", &number), ("hours", "1"), ("reason", "越界")],
            ),
            with_form(
                case(Staff, format!("/classes/{shared}/leave"), Deny),
                &[("id_number", &number), ("hours", "1"), ("reason", "越界")],
            ),
        ],
    );
    add(
        "POST",
        "/classes/{id}/complete",
        vec![
            case(Staff, format!("/classes/{class}/complete"), Deny),
            case(Staff, format!("/classes/{shared}/complete"), Deny),
        ],
    );
    add(
        "GET",
        "/sessions/{id}/roll",
        vec![
            case(Staff, format!("/sessions/{session}/roll"), Deny),
            case(Staff, format!("/sessions/{shared_session}/roll"), Deny),
        ],
    );
    let roll_mark = format!("mark_{person}");
    add(
        "POST",
        "/sessions/{id}/roll",
        vec![
            with_form(case(Staff, format!("/sessions/{session}/roll"), Deny), &[(roll_mark.as_str(), "absent")]),
            with_form(case(Staff, format!("/sessions/{shared_session}/roll"), Deny), &[(roll_mark.as_str(), "absent")]),
        ],
    );
    add(
        "GET",
        "/sessions/{id}/projector",
        vec![
            case(Staff, format!("/sessions/{session}/projector"), Deny),
            case(Staff, format!("/sessions/{shared_session}/projector"), Deny),
        ],
    );
    add(
        "GET",
        "/classes/{id}/sheet",
        vec![
            case(Staff, format!("/classes/{class}/sheet"), Deny),
            case(Staff, format!("/classes/{shared}/sheet"), Deny),
        ],
    );
    add(
        "POST",
        "/classes/{id}/sheet.xlsx",
        vec![
            case(Staff, format!("/classes/{class}/sheet.xlsx"), Deny),
            case(Staff, format!("/classes/{shared}/sheet.xlsx"), Deny),
        ],
    );
    // Funds: only the organiser's scope reads or writes a class's money.
    add("GET", "/funds", vec![case(Staff, "/funds", Clean)]);
    add("POST", "/funds/export", vec![case(Staff, "/funds/export", Clean)]);
    add(
        "GET",
        "/classes/{id}/funds",
        vec![
            case(Staff, format!("/classes/{class}/funds"), Deny),
            case(Staff, format!("/classes/{shared}/funds"), Deny),
        ],
    );
    let fund_line = [("stage", "expense"), ("source", "fiscal"), ("kind", "comprehensive"), ("amount", "100")];
    add(
        "POST",
        "/classes/{id}/funds",
        vec![
            with_form(case(Staff, format!("/classes/{class}/funds"), Deny), &fund_line),
            with_form(case(Staff, format!("/classes/{shared}/funds"), Deny), &fund_line),
        ],
    );
    add(
        "POST",
        "/classes/{id}/funds/venue",
        vec![with_form(case(Staff, format!("/classes/{shared}/funds/venue"), Deny), &[("venue_class", "first")])],
    );
    add(
        "POST",
        "/classes/{id}/funds/{line}/delete",
        vec![case(Staff, format!("/classes/{shared}/funds/1/delete"), Deny)],
    );
    // Certificates: only the class's organiser or deliverer, or the issuing scope, reads,
    // prints, issues or revokes them. Verification is public by design (it shows what the
    // paper shows, masked): a code never issued is refused like any other.
    let cert = o.certificate;
    let on_both = |path: &str| {
        vec![
            case(Staff, path.replace("{id}", &class.to_string()), Deny),
            case(Staff, path.replace("{id}", &shared.to_string()), Deny),
        ]
    };
    add("GET", "/classes/{id}/certificates", on_both("/classes/{id}/certificates"));
    add("POST", "/classes/{id}/certificates", on_both("/classes/{id}/certificates"));
    add("POST", "/classes/{id}/certificates.pdf", on_both("/classes/{id}/certificates.pdf"));
    add("GET", "/people/{id}/certificates", vec![case(Staff, format!("/people/{person}/certificates"), Deny)]);
    add(
        "POST",
        "/people/{id}/certificates",
        vec![with_form(case(Staff, format!("/people/{person}/certificates"), Deny), &[("year", "2026")])],
    );
    add("GET", "/certificates/{id}", vec![case(Staff, format!("/certificates/{cert}"), Deny)]);
    add("POST", "/certificates/{id}/pdf", vec![case(Staff, format!("/certificates/{cert}/pdf"), Deny)]);
    add("POST", "/certificates/{id}/reissue", vec![case(Staff, format!("/certificates/{cert}/reissue"), Deny)]);
    add(
        "POST",
        "/certificates/{id}/revoke",
        vec![with_form(case(Staff, format!("/certificates/{cert}/revoke"), Deny), &[("reason", "越界撤销")])],
    );
    let forged = xuepei_domain::training::certificate::new_code([9; 10]);
    add("GET", "/verify", vec![case(Staff, "/verify", Clean)]);
    add("GET", "/verify/{code}", vec![case(Staff, format!("/verify/{forged}"), Deny)]);
    add("GET", "/api/v1/verify/{code}", vec![case(Api, format!("/api/v1/verify/{forged}"), Deny)]);
    let cadre = |url: String, expect: Expect| {
        let mut c = case(Cadre, url, expect);
        c.who = Cadre;
        c
    };
    // The cadre account has no person of its own: nothing to check in or to show.
    add("GET", "/checkin", vec![cadre("/checkin".into(), Deny)]);
    add("POST", "/checkin", vec![with_form(cadre("/checkin".into(), Deny), &[("code", "123456")])]);
    add("GET", "/checkin/{id}", vec![cadre(format!("/checkin/{session}?c=123456"), Deny)]);
    add("POST", "/checkin/{id}", vec![with_form(cadre(format!("/checkin/{session}"), Deny), &[("code", "123456")])]);
    add("GET", "/me/training", vec![cadre("/me/training".into(), Deny)]);
    add("GET", "/me/training/{id}", vec![cadre(format!("/me/training/{class}"), Deny)]);
    add(
        "POST",
        "/me/training/{id}/leave",
        vec![with_form(cadre(format!("/me/training/{class}/leave"), Deny), &[("hours", "1"), ("reason", "越界")])],
    );
    add(
        "GET",
        "/api/v1/classes/{id}/enrolments",
        vec![
            case(Api, format!("/api/v1/classes/{class}/enrolments"), Deny),
            case(Api, format!("/api/v1/classes/{shared}/enrolments"), Clean),
        ],
    );
    add(
        "POST",
        "/api/v1/classes/{id}/enrolments",
        vec![
            json_case(format!("/api/v1/classes/{class}/enrolments"), serde_json::json!({ "id_numbers": [number] })),
            json_case(format!("/api/v1/classes/{shared}/enrolments"), serde_json::json!({ "id_numbers": [number] })),
        ],
    );
    add(
        "POST",
        "/api/v1/classes/{id}/leave",
        vec![
            json_case(
                format!("/api/v1/classes/{class}/leave"),
                serde_json::json!({ "id_number": number, "hours": 1, "reason": "越界" }),
            ),
            json_case(
                format!("/api/v1/classes/{shared}/leave"),
                serde_json::json!({ "id_number": number, "hours": 1, "reason": "越界" }),
            ),
        ],
    );
    add(
        "POST",
        "/api/v1/classes/{id}/complete",
        vec![
            json_case(format!("/api/v1/classes/{class}/complete"), serde_json::json!({})),
            json_case(format!("/api/v1/classes/{shared}/complete"), serde_json::json!({})),
        ],
    );
    add(
        "POST",
        "/api/v1/sessions/{id}/attendance",
        vec![
            json_case(
                format!("/api/v1/sessions/{session}/attendance"),
                serde_json::json!({ "records": [{ "id_number": number, "status": "absent" }] }),
            ),
            json_case(
                format!("/api/v1/sessions/{shared_session}/attendance"),
                serde_json::json!({ "records": [{ "id_number": number, "status": "absent" }] }),
            ),
        ],
    );
}

fn text_of(bytes: &[u8]) -> String {
    if bytes.starts_with(b"PK") {
        let mut t = String::new();
        if let Ok(wb) = Workbook::open(Source::Bytes(bytes.to_vec())) {
            for i in 0..wb.sheet_names().len() {
                let _ = wb.read_sheet(i, |r| {
                    t.push_str(&r.cells.join("|"));
                    t.push('\n');
                    std::ops::ControlFlow::Continue(())
                });
            }
        }
        t
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

#[tokio::test]
async fn no_route_reaches_another_county() {
    let db = seeded().await;
    // The other county: an account, a token, an upload awaiting confirmation.
    let b_scope = county_scope(&db.conn, QUYUAN).await;
    let b_org = by_code(&db.conn, QUYUAN_TOWN).await;
    let b_person = someone_under(&db.conn, QUYUAN).await;
    account(&db.conn, "bstaff", &[AccountRole::OrgStaff], QUYUAN).await;
    let b_account = accounts::by_username(&db.conn, "bstaff").await.expect("account");
    let (b_token, _) = write(&db.conn, &Scope::system(), async |tx| {
        tokens::issue(tx, "外县令牌", b_org.id, true, None, b_account.id).await
    })
    .await
    .expect("token");
    let b_upload =
        uploads::save(&db.conn, &b_scope, b_account.id, "people", "外县.xlsx", files::xlsx(&[vec!["姓名"]], &[]))
            .await
            .expect("upload");
    let b_campaign = write(&db.conn, &Scope::system(), async |tx| {
        xuepei_store::campaigns::create(tx, &crate::campaigns::input("外县轮训工作", QUYUAN, &[])).await
    })
    .await
    .expect("campaign");
    let b_plan = write(&db.conn, &county_scope(&db.conn, QUYUAN).await, async |tx| {
        let p = xuepei_store::plans::PlanParams {
            organiser: QUYUAN.into(),
            title: "外县轮训班".into(),
            level: "county".into(),
            start: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
            end: chrono::NaiveDate::from_ymd_opt(2026, 6, 30),
            batch_days: Some(3),
            capacity: Some(200),
            venues: Some(2),
            weekends_off: true,
            ..Default::default()
        };
        xuepei_store::plans::propose(tx, b_campaign.id, &p).await
    })
    .await
    .expect("plan");
    let b_claim = write(&db.conn, &Scope::system(), async |tx| {
        let input = xuepei_store::credits::ClaimInput {
            person_id: b_person.id,
            title: "外县申报培训".into(),
            date: "2026-03-01".into(),
            hours: "8".into(),
            ..Default::default()
        };
        xuepei_store::credits::claim(tx, None, &input).await
    })
    .await
    .expect("claim");
    let class_room = other_class(&db.conn, b_campaign.id).await;
    let shared_class = shared_class(&db.conn, class_room.class, b_person.id).await;
    let study = crate::study_logs::seed_other(&db.conn).await;
    let meeting =
        crate::meetings::seed_meeting(&db.conn, QUYUAN, chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("day"))
            .await;
    let material = crate::materials::seed_material(&db.conn, QUYUAN_TOWN, "外县学习资料", "外县学习党建").await;
    let b_people = crate::meetings::members(&db.conn, QUYUAN).await;
    let study_group = write(&db.conn, &Scope::system(), async |tx| {
        use xuepei_store::meetings::PersonKey;
        use xuepei_store::study_groups::{self, plans, reports, rules, sessions};
        let input = study_groups::GroupInput {
            org: QUYUAN.into(),
            members: b_people.iter().take(3).map(|p| (PersonKey::Id(p.id), String::new())).collect(),
            ..Default::default()
        };
        let g = study_groups::create(tx, &input).await?;
        let today = xuepei_domain::time::today();
        let plan = plans::create(
            tx,
            g.id,
            &plans::PlanInput {
                year: Some(chrono::Datelike::year(&today)),
                body: "外县学习计划".into(),
                ..Default::default()
            },
        )
        .await?;
        plans::act(tx, plan.id, xuepei_domain::study::groups::PlanAction::Submit, "").await?;
        let session = sessions::create(
            tx,
            g.id,
            &sessions::SessionInput {
                date: Some(today),
                topic: "外县集中学习".into(),
                lead: Some(PersonKey::Id(b_people[0].id)),
                ..Default::default()
            },
        )
        .await?;
        let report = reports::create(
            tx,
            g.id,
            &reports::ReportInput {
                year: Some(chrono::Datelike::year(&today)),
                kind: "research".into(),
                person: Some(PersonKey::Id(b_people[0].id)),
                title: "外县调研课题".into(),
                ..Default::default()
            },
        )
        .await?;
        let rule = rules::set(tx, QUYUAN, xuepei_domain::study::groups::GroupRules::default()).await?;
        Ok((g.id, plan.id, session.id, report.id, rule.id))
    })
    .await
    .expect("study group");
    let filing = {
        // Over this county only (its targets name nothing of the other); the other files on
        // a route the city set.
        let input = crate::campaigns::input("全市书记轮训（备案）", crate::classes::CITY, &[YUNXI]);
        let c = write(&db.conn, &Scope::system(), async |tx| {
            let c = xuepei_store::campaigns::create(tx, &input).await?;
            xuepei_store::filings::set_route(tx, c.id, QUYUAN, crate::classes::CITY).await?;
            Ok(c)
        })
        .await
        .expect("city campaign");
        let b = county_scope(&db.conn, QUYUAN).await;
        write(&db.conn, &b, async |tx| {
            use xuepei_store::filings;
            let input = filings::FilingInput {
                org: QUYUAN.into(),
                kind: "plan".into(),
                title: "外县轮训实施方案".into(),
                body: "外县方案正文".into(),
                ..Default::default()
            };
            let f = filings::create(tx, c.id, &input).await?;
            let file = filings::add_file(tx, f.id, "外县方案.pdf", b"%PDF".to_vec()).await?;
            filings::submit(tx, f.id).await?;
            Ok((c.id, f.id, file.id))
        })
        .await
        .expect("the other county's filing")
    };
    let base = write(&db.conn, &county_scope(&db.conn, QUYUAN).await, async |tx| {
        let input = xuepei_store::bases::BaseInput {
            org: QUYUAN_TOWN.into(),
            name: "外县示范培训实践基地".into(),
            kind: "other".into(),
            ..Default::default()
        };
        let b = xuepei_store::bases::create(tx, &input).await?;
        let f = xuepei_store::base_files::add(tx, b.id, "site", "现场.pdf", b"%PDF-1.7".to_vec()).await?;
        Ok((b.id, f.id))
    })
    .await
    .expect("the other county's base and its evidence");
    // The other county certifies its person's approved hours.
    let certificate = {
        write(&db.conn, &Scope::system(), async |tx| {
            let input = xuepei_store::credits::ClaimInput {
                person_id: b_person.id,
                title: "外县专题培训".into(),
                date: "2026-02-01".into(),
                hours: "6".into(),
                ..Default::default()
            };
            let r = xuepei_store::credits::claim(tx, None, &input).await?;
            xuepei_store::credits::review(tx, r.id, true, "").await
        })
        .await
        .expect("hours");
        let b = county_scope(&db.conn, QUYUAN).await;
        write(&db.conn, &b, async |tx| xuepei_store::certificates::issue_hours(tx, b_person.id, 2026).await)
            .await
            .expect("the other county's certificate")
            .id
    };
    let other = Other {
        certificate,
        filing,
        base,
        study_group,
        material,
        class_room,
        shared_class,
        meeting,
        study,
        claim: b_claim.id,
        campaign: b_campaign.id,
        plan: b_plan.id,
        own_org: by_code(&db.conn, "430603001").await.id,
        org: b_org.id,
        org_code: b_org.code.clone(),
        person: b_person.id,
        id_number: b_person.id_number.clone(),
        account: b_account.id,
        token: b_token.id,
        upload: b_upload,
        secrets: vec![
            "430671".into(),
            "屈原".into(),
            b_person.id_number.clone(),
            "bstaff".into(),
            b_token.prefix.clone(),
            "外县".into(),
        ],
    };
    // This county's accounts and token.
    let staff = signed_in(&db, "astaff", &[AccountRole::OrgStaff], YUNXI).await;
    let admin = signed_in(&db, "aadmin", &[AccountRole::SystemAdmin], YUNXI).await;
    let security = signed_in(&db, "asecurity", &[AccountRole::SecurityAdmin], YUNXI).await;
    let auditor = signed_in(&db, "aauditor", &[AccountRole::AuditAdmin], YUNXI).await;
    let cadre = signed_in(&db, "acadre", &[AccountRole::Cadre], YUNXI).await;
    let propaganda = signed_in(&db, "apropaganda", &[AccountRole::PropagandaStaff], YUNXI).await;
    let a_org = by_code(&db.conn, YUNXI).await;
    let (_, api_token) = write(&db.conn, &Scope::system(), async |tx| {
        tokens::issue(tx, "本县令牌", a_org.id, true, None, b_account.id).await
    })
    .await
    .expect("token");
    let before = fingerprint(&db.conn).await;

    let table = cases(&other);
    let declared: BTreeSet<(&str, &str)> = xuepei_web::route_list().iter().map(|r| (r.method, r.path)).collect();
    let covered: BTreeSet<(&str, &str)> = table.keys().copied().collect();
    assert_eq!(declared, covered, "every declared route has cases here");
    for r in xuepei_web::route_list() {
        for c in &table[&(r.method, r.path)] {
            if c.expect == Expect::Skip {
                continue;
            }
            let app: &TestApp = match c.who {
                Who::Staff => &staff,
                Who::Admin => &admin,
                Who::Security => &security,
                Who::Auditor => &auditor,
                Who::Cadre => &cadre,
                Who::Api => &staff,
                Who::Propaganda => &propaganda,
            };
            let api = matches!(r.access, Access::Api { .. }) || c.who == Who::Api;
            let mut rb = match r.method {
                "GET" => app.raw.get(app.url(&c.url)),
                _ if c.upload.is_some() => {
                    let part =
                        reqwest::multipart::Part::bytes(c.upload.clone().unwrap_or_default()).file_name("越界.xlsx");
                    // The token comes first, as the page's form sends it.
                    let form = reqwest::multipart::Form::new().text("_csrf", app.csrf().await).part("file", part);
                    app.raw.post(app.url(&c.url)).multipart(form)
                }
                _ if api => app
                    .raw
                    .post(app.url(&c.url))
                    .header("content-type", "application/json")
                    .body(c.json.clone().unwrap_or_default()),
                _ => {
                    let mut f = c.form.clone();
                    f.push(("_csrf".into(), app.csrf().await));
                    app.raw.post(app.url(&c.url)).form(&f)
                }
            };
            if api {
                rb = rb.bearer_auth(&api_token);
            }
            let resp = rb.send().await.expect("request");
            let status = resp.status().as_u16();
            let body = text_of(&resp.bytes().await.expect("body"));
            let what = format!("{} {} as {:?}", r.method, c.url, c.who);
            match c.expect {
                Expect::Deny => assert!(matches!(status, 403 | 404 | 422), "{what}: expected refusal, got {status}"),
                Expect::Clean | Expect::Whole => {
                    assert!(matches!(status, 200 | 303), "{what}: expected success, got {status}")
                }
                Expect::Skip => {}
            }
            if c.expect == Expect::Whole {
                continue;
            }
            // What the request itself said may be echoed (a search box keeps its text).
            let asked = format!(
                "{}{:?}{}{}",
                c.url,
                c.form,
                c.json.clone().unwrap_or_default(),
                text_of(c.upload.as_deref().unwrap_or_default())
            );
            for s in other.secrets.iter().filter(|s| !asked.contains(s.as_str())) {
                assert!(!body.contains(s.as_str()), "{what}: the answer shows “{s}” of the other county");
            }
        }
    }
    assert_eq!(fingerprint(&db.conn).await, before, "nothing of the other county changed");
    db.cleanup().await;
}
