//! The home page: key figures of the scope and a chart, for those who see data; the
//! accounts and the trail for administrators; one's own record for cadres.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_store::page::At;
use xuepei_store::people::{self, Person, PersonFilter, PersonRow, PersonSort};
use xuepei_store::{accounts, audit, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::chart;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    r.menu(MenuEntry { group: MenuGroup::Desk, order: 0, key: "home", label: "首页", href: "/", visible: |_| true })
        .get("/", Access::SignedIn, home)
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    data: Option<DataFigures>,
    admin: Option<AdminFigures>,
    /// A scope of one organisation (a village, a branch): its own roster instead of a chart
    /// of units below it that it does not have.
    members: Option<Vec<PersonRow>>,
    can_edit_people: bool,
    /// A cadre's own record.
    me: Option<Me>,
}

struct Me {
    person: Option<Person>,
    org_name: Option<String>,
    /// A leader's study quotas this month and year (shortcut to 我的学习).
    study: Option<xuepei_store::study_logs::Progress>,
}

struct DataFigures {
    orgs: i64,
    people: i64,
    /// (sector label, organisations, people)
    sectors: Vec<(&'static str, i64, i64)>,
    chart: String,
    chart_title: String,
    computed_at: String,
}

struct AdminFigures {
    accounts: u64,
    audit_entries: Option<u64>,
    /// For the security administrator: accounts over today's threshold of identity numbers
    /// registered outside their scope.
    alerts: Vec<xuepei_store::idchecks::Alert>,
}

async fn home(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let roles = ctx.session.account.roles;
    let data = if roles.can(Perm::ORGS_VIEW) {
        let s = st.stats.get(&st.db, &ctx.scope).await?;
        let items: Vec<(String, i64)> =
            s.children.iter().take(15).map(|(_, name, _, people)| (name.clone(), *people)).collect();
        let local = xuepei_domain::time::local(s.computed_at);
        Some(DataFigures {
            orgs: s.totals.orgs,
            people: s.totals.people,
            sectors: s.by_sector.iter().map(|(sec, o, p)| (sec.label(), *o, *p)).collect(),
            chart: chart::bars(&items, "人"),
            chart_title: format!("{}下属单位人员数（前15）", ctx.scope.name()),
            computed_at: local.format("%H:%M:%S").to_string(),
        })
    } else {
        None
    };
    let admin = if roles.can(Perm::ACCOUNTS_VIEW) || roles.can(Perm::AUDIT_VIEW) {
        let audit_entries = if roles.can(Perm::AUDIT_VIEW) {
            let view = audit::TrailView::of_account(&st.db, ctx.session.account.id, &ctx.scope).await?;
            Some(view.count(&st.db, &Default::default()).await?)
        } else {
            None
        };
        let alerts = if roles.can(Perm::SECURITY_EDIT) {
            xuepei_store::idchecks::alerts_today(&st.db, &ctx.scope).await?
        } else {
            Vec::new()
        };
        Some(AdminFigures { accounts: accounts::count(&st.db, &ctx.scope, None).await?, audit_entries, alerts })
    } else {
        None
    };
    let members = if roles.can(Perm::PEOPLE_VIEW) && ctx.scope.is_leaf() {
        Some(people::list(&st.db, &ctx.scope, &PersonFilter::default(), PersonSort::Org, At::First, 50).await?.items)
    } else {
        None
    };
    let me = if roles.can(Perm::OWN_VIEW) {
        let base = &ctx.session.base_scope;
        let person = match ctx.session.account.person_id {
            Some(id) => people::get(&st.db, base, id).await.ok(),
            None => None,
        };
        let org_name = match &person {
            Some(p) => org::get(&st.db, base, p.org_id).await.ok().map(|o| o.name),
            None => None,
        };
        let study = match &person {
            Some(p) if xuepei_store::study_logs::is_leader(p.roles) => {
                xuepei_store::study_logs::progress(&st.db, base, Some(p.id), p.id).await.ok()
            }
            _ => None,
        };
        Some(Me { person, org_name, study })
    } else {
        None
    };
    let layout = Layout::new(&ctx, "首页", "home");
    render(&HomePage { layout, data, admin, members, can_edit_people: roles.can(Perm::PEOPLE_EDIT), me })
}
