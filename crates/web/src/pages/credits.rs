//! Training files and credit hours (培训档案、学时): a person's file (printable), claims of
//! other recognised training with evidence (个人申报) and their review by the managing
//! department (学时认定), the list of who is behind the requirement, and the trainee's own
//! hours on 我的信息 (usable on a phone).

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_office::write::{Cell, Column};
use xuepei_store::credits::{self, BehindRow, ClaimInput, ClaimRow, TrainingFile};
use xuepei_store::org::At;
use xuepei_store::{StoreError, Tx, uploads};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::exports::{finish, write_in_background};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    let own = Access::Page(Perm::OWN_VIEW);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 30,
        key: "credits",
        label: "学时档案",
        href: "/credits/behind",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Training,
        order: 31,
        key: "claims",
        label: "学时认定",
        href: "/credits/claims",
        visible: |can| can(Perm::TRAINING_EDIT),
    })
    .menu(MenuEntry {
        group: MenuGroup::Training,
        order: 91,
        key: "my-credits",
        label: "我的学时",
        href: "/me/credits",
        visible: |can| can(Perm::OWN_VIEW),
    })
    .audit_labels(&[
        ("credit.claim", "申报学时"),
        ("credit.approve", "认定学时"),
        ("credit.reject", "不予认定学时"),
        ("credit.import", "导入学时记录"),
    ])
    .get("/people/{id}/credits", view, person_file)
    .post("/people/{id}/credits/claims", edit, person_claim)
    .get("/credits/behind", view, behind)
    .post("/credits/behind/export", view, behind_export)
    .get("/credits/claims", edit, claims)
    .post("/credits/claims/{id}/approve", edit, approve)
    .post("/credits/claims/{id}/reject", edit, reject)
    .get("/credits/records/{id}/evidence", view, evidence)
    .get("/me/credits", own, my_file)
    .post("/me/credits/claims", own, my_claim)
}

#[derive(Template)]
#[template(path = "credits/file.html")]
struct FilePage {
    layout: Layout,
    f: TrainingFile,
    /// Where the claim form posts (none: no claims from this view).
    claim_action: Option<String>,
    form: crate::form::Form,
    mine: bool,
}

fn file_page(
    ctx: &Ctx,
    f: TrainingFile,
    mine: bool,
    form: crate::form::Form,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    let (layout, claim_action) = if mine {
        (
            Layout::new(ctx, "我的学时", "my-credits").crumb("我的信息", Some("/me".into())).crumb("我的学时", None),
            Some("/me/credits/claims".to_owned()),
        )
    } else {
        let action = ctx
            .session
            .account
            .roles
            .can(Perm::TRAINING_EDIT)
            .then(|| format!("/people/{}/credits/claims", f.person.id));
        (
            Layout::new(ctx, format!("培训档案：{}", f.person.name), "people")
                .crumb("人员", Some("/people".into()))
                .crumb(f.person.name.clone(), Some(format!("/people/{}", f.person.id)))
                .crumb("培训档案", None),
            action,
        )
    };
    render(&FilePage { layout: layout.notice(notice), f, claim_action, form, mine })
}

fn done_notice(p: &Params) -> Option<String> {
    (params::text(p, "done") == Some("claimed")).then(|| "学时申报已提交，待干部管理单位审核认定".to_owned())
}

async fn person_file(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "人员")?;
    let f = credits::for_person(&st.db, &ctx.scope, None, id).await?;
    file_page(&ctx, f, false, crate::form::Form::new(), done_notice(&p))
}

async fn my_file(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let Some(me) = ctx.session.account.person_id else {
        return Ok(Redirect::to("/me").into_response());
    };
    let f = credits::for_person(&st.db, &ctx.scope, Some(me), me).await?;
    Ok(file_page(&ctx, f, true, crate::form::Form::new(), done_notice(&p))?.into_response())
}

async fn submit_claim(
    st: &AppState,
    ctx: &Ctx,
    person_id: i64,
    own: Option<i64>,
    mp: Multipart,
) -> AppResult<Response> {
    let mine = own.is_some();
    let (fields, file) = match crate::upload::read(st, mp, "evidence", "证明材料").await {
        Ok(u) => (u.fields, u.file),
        Err(m) => {
            let f = credits::for_person(&st.db, &ctx.scope, own, person_id).await?;
            let mut form = crate::form::Form::new();
            form.refuse(StoreError::invalid("evidence", m))?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, file_page(ctx, f, mine, form, None)?).into_response());
        }
    };
    let form = crate::form::Form::submitted(fields);
    let get = |k: &str| form.value(k).to_owned();
    let input = ClaimInput {
        person_id,
        title: get("title"),
        date: get("date"),
        hours: get("hours"),
        provider: get("provider"),
        note: get("note"),
        evidence_upload_id: None,
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = async {
        let evidence = match file {
            Some((name, bytes)) => Some(
                uploads::save(tx.conn(), &ctx.scope, ctx.session.account.id, credits::EVIDENCE_KIND, &name, bytes)
                    .await?,
            ),
            None => None,
        };
        credits::claim(&tx, own, &ClaimInput { evidence_upload_id: evidence, ..input }).await
    }
    .await;
    let done =
        if mine { "/me/credits?done=claimed".to_owned() } else { format!("/people/{person_id}/credits?done=claimed") };
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    crate::form::save_or_refuse(
        tx,
        result,
        form,
        |_| done,
        async |form| {
            let f = credits::for_person(&db, &scope, own, person_id).await?;
            file_page(ctx, f, mine, form, None)
        },
    )
    .await
}

async fn person_claim(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    mp: Multipart,
) -> AppResult<Response> {
    let id = params::id(&id, "人员")?;
    submit_claim(&st, &ctx, id, None, mp).await
}

async fn my_claim(State(st): State<AppState>, ctx: Ctx, mp: Multipart) -> AppResult<Response> {
    let Some(me) = ctx.session.account.person_id else {
        return Err(AppError::NotFound("您的账号尚未关联人员信息，请联系本单位管理员".into()));
    };
    submit_claim(&st, &ctx, me, Some(me), mp).await
}

#[derive(Template)]
#[template(path = "credits/claims.html")]
struct ClaimsPage {
    layout: Layout,
    rows: Vec<ClaimRow>,
    next: Option<String>,
    error: Option<String>,
}

async fn claims_page(st: &AppState, ctx: &Ctx, p: &Params, error: Option<String>) -> AppResult<Html<String>> {
    let page = credits::pending(&st.db, &ctx.scope, At::after(params::text(p, "after")), 50).await?;
    let notice = match params::text(p, "done") {
        Some("approved") => Some("已认定".to_owned()),
        Some("rejected") => Some("已不予认定".to_owned()),
        _ => None,
    };
    let layout = Layout::new(ctx, "学时认定", "claims").crumb("教育培训", None).crumb("学时认定", None).notice(notice);
    render(&ClaimsPage { layout, rows: page.items, next: page.next, error })
}

async fn claims(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    claims_page(&st, &ctx, &p, None).await
}

#[derive(serde::Deserialize)]
struct ReviewForm {
    #[serde(default)]
    reason: String,
}

async fn review(st: &AppState, ctx: &Ctx, id: &str, approve: bool, reason: &str) -> AppResult<Response> {
    let id = params::id(id, "学时申报")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match credits::review(&tx, id, approve, reason).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(if approve { "/credits/claims?done=approved" } else { "/credits/claims?done=rejected" })
                .into_response())
        }
        Err(e @ StoreError::Invalid(_)) => {
            tx.rollback().await?;
            let msg = e.reasons();
            let page = claims_page(st, ctx, &Params::new(), Some(msg)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

async fn approve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> AppResult<Response> {
    review(&st, &ctx, &id, true, &f.reason).await
}

async fn reject(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> AppResult<Response> {
    review(&st, &ctx, &id, false, &f.reason).await
}

#[derive(Template)]
#[template(path = "credits/behind.html")]
struct BehindPage {
    layout: Layout,
    rows: Vec<BehindRow>,
    next: Option<String>,
    under: String,
}

async fn behind(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let under = params::num(&p, "under");
    let (rows, next) = credits::behind(&st.db, &ctx.scope, under, params::text(&p, "after"), 50).await?;
    let layout = Layout::new(&ctx, "学时未达标人员", "credits").crumb("教育培训", None).crumb("学时档案", None);
    render(&BehindPage { layout, rows, next, under: under.map(|u| u.to_string()).unwrap_or_default() })
}

const BEHIND_COLUMNS: [Column; 8] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "职级", width: 9.0 },
    Column { header: "所在组织", width: 44.0 },
    Column { header: "考核周期", width: 16.0 },
    Column { header: "要求学时", width: 10.0 },
    Column { header: "已获学时", width: 10.0 },
    Column { header: "尚差学时", width: 10.0 },
];

async fn behind_export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let under = params::num(&p, "under");
    if let Some(u) = under {
        xuepei_store::org::get(&st.db, &ctx.scope, u).await?;
    }
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, "学时未达标人员", |path| async move {
        let (tx, handle) = write_in_background(path, "学时未达标", "学时未达标人员".to_owned(), &BEHIND_COLUMNS).await;
        let mut after: Option<String> = None;
        loop {
            let (rows, next) = credits::behind(&db, &scope, under, after.as_deref(), 2000).await?;
            let batch: Vec<Vec<Cell>> = rows
                .into_iter()
                .map(|r| {
                    vec![
                        r.person.name.into(),
                        r.person.id_number.into(),
                        r.person.rank_level.map(|x| x.label()).unwrap_or_default().into(),
                        r.org_name.into(),
                        r.status.period.label().into(),
                        Cell::Number(r.status.required_hours.as_f64()),
                        Cell::Number(r.status.period_hours.as_f64()),
                        Cell::Number(r.status.shortfall.as_f64()),
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

/// Downloads a record's evidence (a scope that sees the person or reviews their claims).
async fn evidence(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    use axum::http::header;
    let id = params::id(&id, "学时记录")?;
    let (name, content) = credits::evidence(&st.db, &ctx.scope, id).await?;
    let disposition = format!("attachment; filename=\"evidence\"; filename*=UTF-8''{}", params::enc(&name));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        content,
    )
        .into_response())
}
