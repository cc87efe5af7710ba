//! Leaders' study log (五种学习方式 and 心得体会): a leader's own progress and quick entry
//! on 我的学习 (phone-first: a short vertical form with today's date preset); the scope's
//! leaders' progress and the early-warning list, the scope's entries, entry on a leader's
//! behalf, and the quota rules — each list with filters, pager and Excel export.

use askama::Template;
use axum::extract::{Form as AxForm, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_office::write::{Cell, Column};
use xuepei_store::Tx;
use xuepei_store::page::At;
use xuepei_store::study_logs::{
    self as store, LeaderFilter, LogFields, LogFilter, LogInput, LogRow, PersonRef, Progress, QuotaPeriod, QuotaRule,
    QuotaSubject, RuleFields, RuleRow, StudyLog, StudyMode,
};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::exports::{finish, write_in_background};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::STUDY_VIEW);
    let edit = Access::Page(Perm::STUDY_EDIT);
    let approve = Access::Page(Perm::STUDY_APPROVE);
    let own = Access::Page(Perm::OWN_VIEW);
    r.menu(MenuEntry {
        group: MenuGroup::Study,
        order: 30,
        key: "study-leaders",
        label: "领导干部学习进度",
        href: "/study/leaders",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 31,
        key: "study-warnings",
        label: "学习预警",
        href: "/study/warnings",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 32,
        key: "study-logs",
        label: "学习记录",
        href: "/study/logs",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 33,
        key: "study-quotas",
        label: "学习指标",
        href: "/study/quotas",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 90,
        key: "my-study",
        label: "我的学习",
        href: "/me/study",
        visible: |can| can(Perm::OWN_VIEW),
    })
    .audit_labels(&[
        ("study_log.create", "登记学习记录"),
        ("study_log.update", "修改学习记录"),
        ("study_log.delete", "删除学习记录"),
        ("study_quota.set", "设置学习指标"),
        ("study_quota.remove", "取消学习指标"),
    ])
    .audit_fields(
        "study_log",
        &[
            ("person_id", "人员编号"),
            ("mode", "学习方式"),
            ("date", "日期"),
            ("title", "标题"),
            ("school", "学校"),
            ("place", "地点"),
            ("audience", "对象"),
            ("note", "说明"),
            ("published_in", "发表刊物（平台）"),
            ("published_on", "发表日期"),
            ("evidence_upload_id", "佐证材料编号"),
            ("material_id", "学习资料编号"),
        ],
    )
    .audit_codes("study_log", &[("mode", |c| StudyMode::from_code(c).map(StudyMode::label))])
    .audit_fields(
        "study_quota_rule",
        &[("mode", "学习方式"), ("period", "考核周期"), ("required", "要求数量"), ("subject", "适用对象")],
    )
    .audit_codes(
        "study_quota_rule",
        &[
            ("mode", |c| StudyMode::from_code(c).map(StudyMode::label)),
            ("period", |c| QuotaPeriod::from_code(c).map(QuotaPeriod::label)),
            ("subject", |c| QuotaSubject::from_code(c).map(QuotaSubject::label)),
        ],
    )
    .get("/me/study", own, my_study)
    .post("/me/study/logs", own, my_create)
    .get("/me/study/logs/{id}", own, my_edit)
    .post("/me/study/logs/{id}", own, my_update)
    .post("/me/study/logs/{id}/delete", own, my_delete)
    .get("/study/leaders", view, leaders)
    .get("/study/warnings", view, warnings)
    .post("/study/leaders/export", view, leaders_export)
    .get("/study/people/{id}", view, person_page)
    .get("/study/logs", view, logs)
    .post("/study/logs/export", view, logs_export)
    .get("/study/logs/new", edit, new_log)
    .post("/study/logs", edit, create_log)
    .get("/study/logs/{id}", view, log_page)
    .post("/study/logs/{id}/delete", edit, delete_log)
    .get("/study/quotas", view, quotas)
    .post("/study/quotas", approve, set_quota)
    .post("/study/quotas/{id}/delete", approve, remove_quota)
}

const PAGE_SIZE: u64 = 20;

fn mode_options() -> Vec<(&'static str, &'static str)> {
    params::options::<StudyMode>()
}

fn today() -> chrono::NaiveDate {
    xuepei_domain::time::today()
}

/// Today as the date fields' upper bound.
pub(crate) fn today_text() -> String {
    today().to_string()
}

/// The log form's fields.
fn fields_of(form: &Form) -> LogFields {
    let get = |k: &str| form.value(k).to_owned();
    LogFields {
        mode: get("mode"),
        date: get("date"),
        title: get("title"),
        school: get("school"),
        place: get("place"),
        audience: get("audience"),
        note: get("note"),
        published_in: get("published_in"),
        published_on: get("published_on"),
        material: get("material"),
    }
}

/// A form holding an entry to edit.
fn form_of(log: &StudyLog) -> Form {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    Form::new()
        .with("mode", log.mode.code())
        .with("date", log.date.to_string())
        .with("title", log.title.clone())
        .with("school", o(&log.school))
        .with("place", o(&log.place))
        .with("audience", o(&log.audience))
        .with("note", o(&log.note))
        .with("published_in", o(&log.published_in))
        .with("published_on", log.published_on.map(|d| d.to_string()).unwrap_or_default())
        .with("material", log.material_id.map(|id| id.to_string()).unwrap_or_default())
}

/// The materials a log entry may name: the newest important speeches first, as options.
async fn materials(st: &AppState, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    Ok(crate::pages::meetings::offered(st, ctx)
        .await?
        .into_iter()
        .map(|(id, _, label)| (id.to_string(), label))
        .collect())
}

/// A new entry's form: today's date preset, self-study chosen unless asked otherwise.
fn blank_form(p: &Params) -> Form {
    let mode = params::labeled::<StudyMode>(p, "mode").unwrap_or(StudyMode::SelfStudy);
    Form::new().with("mode", mode.code()).with("date", today().to_string())
}

fn my_id(ctx: &Ctx) -> AppResult<i64> {
    ctx.session
        .account
        .person_id
        .ok_or_else(|| AppError::NotFound("您的账号尚未关联人员信息，请联系本单位管理员".into()))
}

// ---------------------------------------------------------------------------------------
// 我的学习.

#[derive(Template)]
#[template(path = "study_logs/mine.html")]
struct MinePage {
    layout: Layout,
    progress: Progress,
    logs: Vec<StudyLog>,
    form: Form,
    modes: Vec<(&'static str, &'static str)>,
    materials: Vec<(String, String)>,
    year: i32,
    /// Per mode: label, this month's and this year's entries.
    counts: Vec<(&'static str, u32, u32)>,
    /// Only leaders keep a study log.
    leader: bool,
}

async fn mine_page(st: &AppState, ctx: &Ctx, me: i64, form: Form, notice: Option<String>) -> AppResult<Html<String>> {
    let progress = store::progress(&st.db, &ctx.scope, Some(me), me).await?;
    let year = today().year();
    let (_, logs) = store::for_person(&st.db, &ctx.scope, Some(me), &PersonRef::Id(me), year).await?;
    let layout = Layout::new(ctx, "我的学习", "my-study").crumb("我的信息", Some("/me".into())).crumb("我的学习", None);
    let counts =
        StudyMode::ALL.iter().map(|m| (m.label(), progress.counts.month_of(*m), progress.counts.year_of(*m))).collect();
    let leader = store::is_leader(progress.leader.roles);
    render(&MinePage {
        layout: layout.notice(notice),
        progress,
        logs,
        form,
        modes: mode_options(),
        materials: materials(st, ctx).await?,
        year,
        counts,
        leader,
    })
}

fn done_notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "学习记录已登记",
            "updated" => "学习记录已修改",
            "deleted" => "学习记录已删除",
            "set" => "学习指标已保存",
            "removed" => "已取消本级指标，恢复执行上级或默认规则",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn my_study(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let Some(me) = ctx.session.account.person_id else {
        return Ok(Redirect::to("/me").into_response());
    };
    Ok(mine_page(&st, &ctx, me, blank_form(&p), done_notice(&p)).await?.into_response())
}

async fn my_create(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let me = my_id(&ctx)?;
    let form = Form::submitted(fields);
    let input = LogInput { person: PersonRef::Id(me), fields: fields_of(&form), evidence_upload_id: None };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::create(&tx, Some(me), &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| "/me/study?done=created".into(),
        async |form| mine_page(&st, &ctx, me, form, None).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "study_logs/edit.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    form: Form,
    modes: Vec<(&'static str, &'static str)>,
    materials: Vec<(String, String)>,
}

async fn edit_page(st: &AppState, ctx: &Ctx, id: i64, form: Form) -> AppResult<Html<String>> {
    let layout = Layout::new(ctx, "修改学习记录", "my-study")
        .crumb("我的学习", Some("/me/study".into()))
        .crumb("修改学习记录", None);
    render(&EditPage { layout, id, form, modes: mode_options(), materials: materials(st, ctx).await? })
}

async fn my_edit(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let me = my_id(&ctx)?;
    let id = params::id(&id, "学习记录")?;
    let row = store::get(&st.db, &ctx.scope, Some(me), id).await?;
    edit_page(&st, &ctx, id, form_of(&row.log)).await
}

async fn my_update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let me = my_id(&ctx)?;
    let id = params::id(&id, "学习记录")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::update(&tx, Some(me), id, &fields_of(&form)).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| "/me/study?done=updated".into(),
        async |form| edit_page(&st, &ctx, id, form).await,
    )
    .await
}

async fn my_delete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let me = my_id(&ctx)?;
    let id = params::id(&id, "学习记录")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match store::delete(&tx, Some(me), id).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/me/study?done=deleted").into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Leaders' progress and the early warning.

#[derive(Template)]
#[template(path = "study_logs/leaders.html")]
struct LeadersPage {
    layout: Layout,
    rows: Vec<Progress>,
    warned: bool,
    path: &'static str,
    under: String,
    units: Vec<(String, String)>,
    month: String,
    pager: Pager,
    export_query: String,
}

/// The scope's top organisation and its children, for the "under" filter.
async fn units(st: &AppState, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    // Short names, cut to fit a phone's width.
    let short = |o: &xuepei_store::org::Org| {
        let name = o.short_name.clone().unwrap_or_else(|| o.name.clone());
        if name.chars().count() > 12 { format!("{}…", name.chars().take(11).collect::<String>()) } else { name }
    };
    let mut out = Vec::new();
    let top = xuepei_store::org::children(&st.db, &ctx.scope, None, false).await?;
    for n in top {
        out.push((n.org.id.to_string(), short(&n.org)));
        for c in xuepei_store::org::children(&st.db, &ctx.scope, Some(n.org.id), false).await? {
            out.push((c.org.id.to_string(), format!("　{}", short(&c.org))));
        }
    }
    Ok(out)
}

fn leader_filter(p: &Params, warned: bool) -> LeaderFilter {
    LeaderFilter { under: params::num(p, "under").filter(|v| *v > 0), warned: warned || params::flag(p, "warned") }
}

async fn leaders_page(st: &AppState, ctx: &Ctx, p: &Params, warned: bool) -> AppResult<Html<String>> {
    let f = leader_filter(p, warned);
    let paging = Paging::from(p, PAGE_SIZE);
    let after = match paging.at {
        At::After(c) => Some(c),
        _ => None,
    };
    let (rows, next) = store::leaders(&st.db, &ctx.scope, &f, after, paging.size as usize).await?;
    let (path, title, key) = if f.warned {
        ("/study/warnings", "学习预警", "study-warnings")
    } else {
        ("/study/leaders", "领导干部学习进度", "study-leaders")
    };
    let pager = Pager::new(path, p, &["under"], &paging, (None, next), None);
    let layout = Layout::new(ctx, title, key).crumb("理论学习", None).crumb(title, None);
    let mut q = vec![("under", params::text(p, "under").map(str::to_owned))];
    if f.warned {
        q.push(("warned", Some("1".into())));
    }
    render(&LeadersPage {
        layout,
        rows,
        warned: f.warned,
        path,
        under: f.under.map(|u| u.to_string()).unwrap_or_default(),
        units: units(st, ctx).await?,
        month: QuotaPeriod::Month.window(today()).label(),
        pager,
        export_query: params::query(&q),
    })
}

async fn leaders(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    leaders_page(&st, &ctx, &p, false).await
}

async fn warnings(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    leaders_page(&st, &ctx, &p, true).await
}

const LEADER_COLUMNS: [Column; 12] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "职务", width: 24.0 },
    Column { header: "职级", width: 9.0 },
    Column { header: "所在组织", width: 30.0 },
    Column { header: "本月自学", width: 9.0 },
    Column { header: "本年自学", width: 9.0 },
    Column { header: "本年讲课", width: 9.0 },
    Column { header: "本年宣讲", width: 9.0 },
    Column { header: "本年心得", width: 9.0 },
    Column { header: "指标完成情况", width: 44.0 },
    Column { header: "预警", width: 10.0 },
];

/// "平时自学 2026年6月 3/5（进度滞后）；进学校讲课 2026年 1/2（进度正常）"
fn lines_text(p: &Progress) -> String {
    p.lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}/{}（{}）",
                l.rule.mode.label(),
                l.window.label(),
                l.pace.done,
                l.pace.required,
                l.pace.outlook.label()
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

async fn leaders_export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let f = leader_filter(&p, false);
    if let Some(u) = f.under {
        xuepei_store::org::get(&st.db, &ctx.scope, u).await?;
    }
    let what = if f.warned { "学习预警名单" } else { "领导干部学习进度" };
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, what, |path| async move {
        let (tx, handle) = write_in_background(path, "学习进度", what.to_owned(), &LEADER_COLUMNS).await;
        let mut after: Option<String> = None;
        loop {
            let (rows, next) = store::leaders(&db, &scope, &f, after.as_deref(), 1000).await?;
            let batch: Vec<Vec<Cell>> = rows
                .iter()
                .map(|r| {
                    let n = |c: u32| Cell::Number(f64::from(c));
                    vec![
                        r.leader.name.clone().into(),
                        r.leader.id_number.clone().into(),
                        r.leader.position.clone().unwrap_or_default().into(),
                        r.leader.rank_level.map(|x| x.label()).unwrap_or_default().into(),
                        r.leader.org_name.clone().into(),
                        n(r.counts.month_of(StudyMode::SelfStudy)),
                        n(r.counts.year_of(StudyMode::SelfStudy)),
                        n(r.counts.year_of(StudyMode::SchoolLecture)),
                        n(r.counts.year_of(StudyMode::Grassroots)),
                        n(r.counts.year_of(StudyMode::Reflection)),
                        lines_text(r).into(),
                        (if r.warned() { "预警" } else { "" }).into(),
                    ]
                })
                .collect();
            if tx.send(batch).await.is_err() {
                break;
            }
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        finish(tx, handle).await
    })
    .await
}

#[derive(Template)]
#[template(path = "study_logs/person.html")]
struct PersonPage {
    layout: Layout,
    progress: Progress,
    logs: Vec<StudyLog>,
    year: i32,
    years: Vec<i32>,
    can_edit: bool,
    /// Each monthly quota's months of the year: (label, [(month, done, required)]).
    monthly: Vec<(&'static str, Vec<MonthDone>)>,
}

/// A month of a monthly quota: (month, done, required).
type MonthDone = (u32, u32, u32);

async fn person_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "人员")?;
    let this = today().year();
    let year = params::num(&p, "year").and_then(|y| i32::try_from(y).ok()).filter(|y| (this - 9..=this).contains(y));
    let year = year.unwrap_or(this);
    let progress = store::progress(&st.db, &ctx.scope, None, id).await?;
    let (_, logs) = store::for_person(&st.db, &ctx.scope, None, &PersonRef::Id(id), year).await?;
    let last = if year == this { today().month() } else { 12 };
    let monthly = progress
        .lines
        .iter()
        .filter(|l| l.rule.period == QuotaPeriod::Month)
        .map(|l| {
            let months = (1..=last)
                .map(|m| {
                    let done = logs.iter().filter(|g| g.mode == l.rule.mode && g.date.month() == m).count();
                    (m, u32::try_from(done).unwrap_or(u32::MAX), l.rule.required)
                })
                .collect();
            (l.rule.mode.label(), months)
        })
        .collect();
    let layout = Layout::new(&ctx, format!("学习记录：{}", progress.leader.name), "study-leaders")
        .crumb("领导干部学习进度", Some("/study/leaders".into()))
        .crumb(progress.leader.name.clone(), None);
    render(&PersonPage {
        layout,
        progress,
        logs,
        year,
        years: (this - 4..=this).rev().collect(),
        can_edit: ctx.session.account.roles.can(Perm::STUDY_EDIT),
        monthly,
    })
}

// ---------------------------------------------------------------------------------------
// The scope's entries.

#[derive(Template)]
#[template(path = "study_logs/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<LogRow>,
    modes: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    years: Vec<(String, String)>,
    months: Vec<(String, String)>,
    mode: String,
    under: String,
    year: String,
    month: String,
    can_edit: bool,
    pager: Pager,
    export_query: String,
}

const LOG_KEYS: [&str; 4] = ["under", "mode", "year", "month"];

fn log_filter(p: &Params) -> LogFilter {
    let this = today().year();
    LogFilter {
        under: params::num(p, "under").filter(|v| *v > 0),
        mode: params::labeled::<StudyMode>(p, "mode"),
        year: params::num(p, "year").and_then(|y| i32::try_from(y).ok()).filter(|y| (1990..=this).contains(y)),
        month: params::num(p, "month").and_then(|m| u32::try_from(m).ok()).filter(|m| (1..=12).contains(m)),
        person: None,
    }
}

async fn logs(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let f = log_filter(&p);
    let paging = Paging::from(&p, PAGE_SIZE);
    let page = store::list(&st.db, &ctx.scope, &f, paging.at, paging.limit()).await?;
    let this = today().year();
    let layout = Layout::new(&ctx, "学习记录", "study-logs")
        .crumb("理论学习", None)
        .crumb("学习记录", None)
        .notice(done_notice(&p));
    render(&ListPage {
        layout,
        rows: page.items,
        modes: mode_options(),
        units: units(&st, &ctx).await?,
        years: (this - 4..=this).rev().map(|y| (y.to_string(), format!("{y}年"))).collect(),
        months: (1..=12).map(|m| (m.to_string(), format!("{m}月"))).collect(),
        mode: f.mode.map(|m| m.code().to_owned()).unwrap_or_default(),
        under: f.under.map(|u| u.to_string()).unwrap_or_default(),
        year: f.year.map(|y| y.to_string()).unwrap_or_default(),
        month: f.month.map(|m| m.to_string()).unwrap_or_default(),
        can_edit: ctx.session.account.roles.can(Perm::STUDY_EDIT),
        pager: Pager::new("/study/logs", &p, &LOG_KEYS, &paging, (page.prev, page.next), None),
        export_query: params::keep(&p, &LOG_KEYS),
    })
}

const LOG_COLUMNS: [Column; 10] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "所在组织", width: 30.0 },
    Column { header: "学习方式", width: 14.0 },
    Column { header: "日期", width: 12.0 },
    Column { header: "标题（内容）", width: 40.0 },
    Column { header: "学校", width: 20.0 },
    Column { header: "地点/对象", width: 30.0 },
    Column { header: "发表情况", width: 24.0 },
    Column { header: "说明", width: 30.0 },
];

async fn logs_export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let f = log_filter(&p);
    if let Some(u) = f.under {
        xuepei_store::org::get(&st.db, &ctx.scope, u).await?;
    }
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, "学习记录", |path| async move {
        let (tx, handle) = write_in_background(path, "学习记录", "领导干部学习记录".to_owned(), &LOG_COLUMNS).await;
        let mut after: Option<String> = None;
        loop {
            let page = store::list(&db, &scope, &f, At::after(after.as_deref()), 2000).await?;
            let batch: Vec<Vec<Cell>> = page
                .items
                .iter()
                .map(|r| {
                    let l = &r.log;
                    let place = [&l.place, &l.audience].into_iter().flatten().cloned().collect::<Vec<_>>().join("；");
                    let published = match (&l.published_in, l.published_on) {
                        (Some(w), Some(d)) => format!("{w}（{d}）"),
                        (Some(w), None) => w.clone(),
                        _ => String::new(),
                    };
                    vec![
                        r.leader.name.clone().into(),
                        r.leader.id_number.clone().into(),
                        r.leader.org_name.clone().into(),
                        l.mode.label().into(),
                        l.date.to_string().into(),
                        l.title.clone().into(),
                        l.school.clone().unwrap_or_default().into(),
                        place.into(),
                        published.into(),
                        l.note.clone().unwrap_or_default().into(),
                    ]
                })
                .collect();
            if tx.send(batch).await.is_err() {
                break;
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        finish(tx, handle).await
    })
    .await
}

#[derive(Template)]
#[template(path = "study_logs/new.html")]
struct NewPage {
    layout: Layout,
    form: Form,
    modes: Vec<(&'static str, &'static str)>,
    materials: Vec<(String, String)>,
}

async fn new_page(st: &AppState, ctx: &Ctx, form: Form) -> AppResult<Html<String>> {
    let layout = Layout::new(ctx, "代为登记学习记录", "study-logs")
        .crumb("学习记录", Some("/study/logs".into()))
        .crumb("代为登记", None);
    render(&NewPage { layout, form, modes: mode_options(), materials: materials(st, ctx).await? })
}

async fn new_log(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let mut form = blank_form(&p);
    if let Some(id) = params::num(&p, "person").filter(|v| *v > 0) {
        let pr = store::progress(&st.db, &ctx.scope, None, id).await?;
        form.set("id_number", pr.leader.id_number.clone());
    }
    new_page(&st, &ctx, form).await
}

async fn create_log(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let input = LogInput {
        person: PersonRef::Number(form.value("id_number").to_owned()),
        fields: fields_of(&form),
        evidence_upload_id: None,
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::create(&tx, None, &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |l| format!("/study/logs/{}?done=created", l.id),
        async |form| new_page(&st, &ctx, form).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "study_logs/detail.html")]
struct DetailPage {
    layout: Layout,
    row: LogRow,
    can_edit: bool,
}

async fn log_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "学习记录")?;
    let row = store::get(&st.db, &ctx.scope, None, id).await?;
    let layout = Layout::new(&ctx, format!("学习记录：{}", row.log.title), "study-logs")
        .crumb("学习记录", Some("/study/logs".into()))
        .crumb(row.leader.name.clone(), Some(format!("/study/people/{}", row.leader.id)))
        .crumb(row.log.mode.label(), None)
        .notice(done_notice(&p));
    render(&DetailPage { layout, row, can_edit: ctx.session.account.roles.can(Perm::STUDY_EDIT) })
}

async fn delete_log(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习记录")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match store::delete(&tx, None, id).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/study/logs?done=deleted").into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Quota rules.

#[derive(Template)]
#[template(path = "study_logs/quotas.html")]
struct QuotasPage {
    layout: Layout,
    rows: Vec<RuleRow>,
    in_force: Vec<QuotaRule>,
    can_approve: bool,
    root_org: Option<i64>,
    form: Form,
    modes: Vec<(&'static str, &'static str)>,
    periods: Vec<(&'static str, &'static str)>,
    subjects: Vec<(&'static str, &'static str)>,
}

async fn quotas_page(st: &AppState, ctx: &Ctx, form: Form, notice: Option<String>) -> AppResult<Html<String>> {
    let (rows, in_force) = store::rules(&st.db, &ctx.scope).await?;
    let layout = Layout::new(ctx, "学习指标", "study-quotas").crumb("理论学习", None).crumb("学习指标", None);
    render(&QuotasPage {
        layout: layout.notice(notice),
        rows,
        in_force,
        can_approve: ctx.session.account.roles.can(Perm::STUDY_APPROVE),
        root_org: ctx.scope.root_org_id(),
        form,
        modes: mode_options(),
        periods: params::options::<QuotaPeriod>(),
        subjects: params::options::<QuotaSubject>(),
    })
}

async fn quotas(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let form = Form::new().with("period", QuotaPeriod::Month.code()).with("subject", QuotaSubject::Leaders.code());
    quotas_page(&st, &ctx, form, done_notice(&p)).await
}

async fn set_quota(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let Some(org) = ctx.scope.root_org_id() else {
        return Err(AppError::Forbidden("请先切换到一个组织，再设置该组织的学习指标".into()));
    };
    let f = RuleFields {
        mode: form.value("mode").to_owned(),
        period: form.value("period").to_owned(),
        required: form.value("required").to_owned(),
        subject: form.value("subject").to_owned(),
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::set_rule(&tx, org, &f).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| "/study/quotas?done=set".into(),
        async |form| quotas_page(&st, &ctx, form, None).await,
    )
    .await
}

async fn remove_quota(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习指标")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match store::remove_rule(&tx, id).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/study/quotas?done=removed").into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}
