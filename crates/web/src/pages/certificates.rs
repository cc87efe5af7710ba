//! Certificates (结业证书, 学时证明) and their public verification.
//!
//! The organiser or delivering institution of a completed class issues its completion
//! certificates and prints them as one PDF; an organisation issues a person's certificate
//! of the year's hours. Every printed certificate carries a QR code of `/verify/<code>`,
//! which anyone may open without signing in: it shows the masked name, the class, the
//! hours, the issuer and whether the certificate stands, and nothing else.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::training::certificate::{self as rules, CodeError};
use xuepei_office::pdf::{self, CertificatePage, PdfError};
use xuepei_store::certificates::{self as store, Certificate, Verified};
use xuepei_store::{Tx, audit as audit_log};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pages::attendance::absolute;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.audit_labels(&[
        ("certificate.issue", "颁发结业证书"),
        ("certificate.issue_hours", "开具学时证明"),
        ("certificate.revoke", "撤销证书"),
        ("certificate.reissue", "重新颁发证书"),
        ("certificate.print", "打印证书"),
    ])
    .get("/classes/{id}/certificates", view, class_page)
    .post("/classes/{id}/certificates", edit, class_issue)
    .post("/classes/{id}/certificates.pdf", view, class_pdf)
    .get("/people/{id}/certificates", view, person_page)
    .post("/people/{id}/certificates", edit, person_issue)
    .get("/certificates/{id}", view, detail)
    .post("/certificates/{id}/pdf", view, one_pdf)
    .post("/certificates/{id}/revoke", edit, revoke)
    .post("/certificates/{id}/reissue", edit, reissue)
    .get("/verify", Access::Public, verify_form)
    .get("/verify/{code}", Access::Public, verify_page)
}

fn can_edit(ctx: &Ctx) -> bool {
    ctx.session.account.roles.can(Perm::TRAINING_EDIT)
}

/// Whether the account views its own scope (not one it switched down to): a certificate
/// of hours is issued in the name of the account's own body, never of a unit below it.
fn in_own_scope(ctx: &Ctx) -> bool {
    ctx.scope.root_org_id() == Some(ctx.session.account.scope_org_id)
}

#[derive(Template)]
#[template(path = "certificates/class.html")]
struct ClassPage {
    layout: Layout,
    class: xuepei_store::classes::Class,
    list: Vec<Certificate>,
    valid: usize,
    can_issue: bool,
}

async fn class_view(st: &AppState, ctx: &Ctx, id: i64, notice: Option<String>) -> AppResult<Html<String>> {
    let class = xuepei_store::classes::get(&st.db, &ctx.scope, id).await?;
    let list = store::for_class(&st.db, &ctx.scope, id).await?;
    let layout = Layout::new(ctx, format!("结业证书：{}", class.title), "classes")
        .crumb("班次管理", Some("/classes".into()))
        .crumb(class.title.clone(), Some(format!("/classes/{id}")))
        .crumb("结业证书", None)
        .notice(notice);
    let can_issue = can_edit(ctx) && class.status == xuepei_store::classes::ClassStatus::Completed;
    let valid = list.iter().filter(|c| c.is_valid()).count();
    render(&ClassPage { layout, class, list, valid, can_issue })
}

async fn class_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    // Only numbers are shown back: the notice cannot be made to say anything else.
    let count = |k: &str| params::text(&p, k).and_then(|v| v.parse::<u64>().ok());
    let notice = match (count("issued"), count("already"), count("revoked")) {
        (Some(n), a, r) => {
            let mut says = if n > 0 {
                format!("已颁发结业证书{n}份")
            } else {
                "本次没有需要新颁发的结业证书".to_owned()
            };
            if let Some(a) = a.filter(|a| *a > 0) {
                says.push_str(&format!("；{a}名学员已持有效证书，未重复颁发"));
            }
            if let Some(r) = r.filter(|r| *r > 0) {
                says.push_str(&format!("；{r}名学员的证书已撤销，未自动重新颁发，如需重新颁发请在该证书页面办理"));
            }
            Some(says)
        }
        _ => (params::text(&p, "done") == Some("revoked")).then(|| "证书已撤销，扫码验证将显示“已撤销”".to_owned()),
    };
    class_view(&st, &ctx, id, notice).await
}

async fn class_issue(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match store::issue_for_class(&tx, id).await {
        Ok(done) => {
            tx.commit().await?;
            let to = format!(
                "/classes/{id}/certificates?issued={}&already={}&revoked={}",
                done.issued, done.already, done.revoked
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

/// The page a certificate prints, with the QR code of its verification address.
fn page_of(st: &AppState, headers: &HeaderMap, c: &Certificate) -> CertificatePage {
    CertificatePage {
        title: c.kind.label().to_owned(),
        addressee: format!("{}同志：", c.name),
        body: c.body(),
        issuer: c.issuer.clone(),
        issued_on: pdf::chinese_date(c.issued_on),
        code: c.display_code(),
        verify_url: absolute(st, headers, &format!("/verify/{}", c.code)),
    }
}

/// Lays the pages out (off the async workers: a class's PDF takes a moment), records the
/// print in the audit trail and sends the file.
async fn send_pdf(
    st: &AppState,
    ctx: &Ctx,
    pages: Vec<CertificatePage>,
    title: String,
    file: String,
) -> AppResult<Response> {
    if pages.is_empty() {
        return Err(AppError::BadRequest("没有可打印的有效证书（证书均已撤销或尚未颁发）".into()));
    }
    let n = pages.len();
    let doc_title = title.clone();
    let bytes = tokio::task::spawn_blocking(move || pdf::certificates(&doc_title, &pages))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| match e {
            PdfError::NoFont => AppError::Internal(
                "服务器程序未内置中文字体，无法生成证书。请安装 fonts-arphic-uming 后重新编译（见 README）".into(),
            ),
            other => AppError::Internal(format!("证书生成失败：{other}")),
        })?;
    audit_log::event(
        &st.db,
        &ctx.actor,
        ctx.scope.root_path().unwrap_or("/"),
        "certificate.print",
        format!("打印{title}（{n}份）"),
        Some(serde_json::json!({ "what": title, "pages": n })),
    )
    .await?;
    Ok(crate::documents::attachment(bytes, "application/pdf", &format!("{file}.pdf")))
}

async fn class_pdf(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let class = xuepei_store::classes::get(&st.db, &ctx.scope, id).await?;
    let list = store::for_class(&st.db, &ctx.scope, id).await?;
    let pages = list.iter().filter(|c| c.is_valid()).map(|c| page_of(&st, &headers, c)).collect();
    send_pdf(&st, &ctx, pages, format!("{}结业证书", class.title), format!("结业证书_{}", class.title)).await
}

#[derive(Template)]
#[template(path = "certificates/person.html")]
struct PersonPage {
    layout: Layout,
    person: xuepei_store::people::Person,
    list: Vec<Certificate>,
    form: crate::form::Form,
    can_issue: bool,
}

async fn person_view(st: &AppState, ctx: &Ctx, id: i64, form: crate::form::Form) -> AppResult<Html<String>> {
    let person = xuepei_store::people::get(&st.db, &ctx.scope, id).await?;
    let list = store::for_person(&st.db, &ctx.scope, id).await?;
    let layout = Layout::new(ctx, format!("证书：{}", person.name), "people")
        .crumb("人员信息", Some("/people".into()))
        .crumb(person.name.clone(), Some(format!("/people/{id}")))
        .crumb("培训档案", Some(format!("/people/{id}/credits")))
        .crumb("证书", None);
    render(&PersonPage { layout, person, list, form, can_issue: can_edit(ctx) && in_own_scope(ctx) })
}

async fn person_page(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "人员")?;
    let year = chrono::Datelike::year(&xuepei_domain::time::today());
    person_view(&st, &ctx, id, crate::form::Form::new().with("year", year.to_string())).await
}

async fn person_issue(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "人员")?;
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match form.value("year").trim().parse::<i32>() {
        _ if !in_own_scope(&ctx) => Err(xuepei_store::StoreError::Forbidden(
            "学时证明以本单位名义开具。您当前切换到了下级组织的查看范围，请先切换回本单位的范围再开具".into(),
        )),
        Ok(year) => store::issue_hours(&tx, id, year).await,
        Err(_) => Err(xuepei_store::StoreError::invalid("year", "请填写四位数字的年度，如2026")),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |c| format!("/certificates/{}?done=issued", c.id),
        async |f| person_view(&st, &ctx, id, f).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "certificates/detail.html")]
struct DetailPage {
    layout: Layout,
    c: Certificate,
    verify_url: String,
    form: crate::form::Form,
    can_revoke: bool,
    /// A revoked completion certificate may be issued anew.
    can_reissue: bool,
}

async fn detail_view(
    st: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    id: i64,
    form: crate::form::Form,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    let c = store::get(&st.db, &ctx.scope, id).await?;
    let mut layout = Layout::new(ctx, format!("{}：{}", c.kind.label(), c.name), "classes");
    layout = match c.class_id {
        Some(class) => layout
            .crumb("班次管理", Some("/classes".into()))
            .crumb("结业证书", Some(format!("/classes/{class}/certificates"))),
        None => layout.crumb("证书", Some(format!("/people/{}/certificates", c.person_id))),
    };
    let layout = layout.crumb(c.display_code(), None).notice(notice);
    let verify_url = absolute(st, headers, &format!("/verify/{}", c.code));
    let can_reissue = can_edit(ctx) && !c.is_valid() && c.class_id.is_some();
    render(&DetailPage { layout, can_revoke: can_edit(ctx) && c.is_valid(), can_reissue, c, verify_url, form })
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "证书")?;
    let notice = match params::text(&p, "done") {
        Some("issued") => Some("学时证明已开具，可下载打印；本单位此前开具的该人员同年度学时证明已同时作废".to_owned()),
        Some("reissued") => Some("已重新颁发结业证书，原证书仍为已撤销".to_owned()),
        Some("revoked") => Some("证书已撤销，扫码验证将显示“已撤销”".to_owned()),
        _ => None,
    };
    detail_view(&st, &ctx, &headers, id, crate::form::Form::new(), notice).await
}

async fn one_pdf(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = params::id(&id, "证书")?;
    let c = store::get(&st.db, &ctx.scope, id).await?;
    if !c.is_valid() {
        return Err(AppError::BadRequest(format!("证书{}已撤销，不能再打印", c.display_code())));
    }
    let title = format!("{}的{}", c.name, c.kind.label());
    let file = format!("{}_{}", c.kind.label(), c.name);
    send_pdf(&st, &ctx, vec![page_of(&st, &headers, &c)], title, file).await
}

async fn revoke(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "证书")?;
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::revoke(&tx, id, form.value("reason")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |c| format!("/certificates/{}?done=revoked", c.id),
        async |f| detail_view(&st, &ctx, &headers, id, f, None).await,
    )
    .await
}

async fn reissue(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = params::id(&id, "证书")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::reissue(&tx, id).await;
    save_or_refuse(
        tx,
        result,
        crate::form::Form::new(),
        |c| format!("/certificates/{}?done=reissued", c.id),
        async |f| detail_view(&st, &ctx, &headers, id, f, None).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "certificates/verify.html")]
struct VerifyPage {
    layout: Layout,
    /// The code as typed.
    typed: String,
    found: Option<Verified>,
    /// Why the code does not verify.
    refusal: Option<String>,
}

fn verify_response(status: StatusCode, page: VerifyPage) -> AppResult<Response> {
    // Nobody's page to keep: a verification is not cached by a shared proxy.
    Ok((status, [(header::CACHE_CONTROL, "no-store")], render(&page)?).into_response())
}

/// `GET /verify`: the form to type a code; `?code=` goes to the code's page (its
/// canonical address when the code reads, else the typed text to be told what is wrong).
async fn verify_form(Query(p): Query<Params>) -> AppResult<Response> {
    if let Some(code) = params::text(&p, "code") {
        let to = rules::parse_code(code).unwrap_or_else(|_| params::enc(code));
        return Ok(Redirect::to(&format!("/verify/{to}")).into_response());
    }
    let page = VerifyPage { layout: Layout::bare("证书验证"), typed: String::new(), found: None, refusal: None };
    verify_response(StatusCode::OK, page)
}

/// What a typed code verifies to, or why it does not.
pub(crate) enum Verification {
    Found(Box<Verified>),
    Bad(CodeError),
    Unknown,
}

pub(crate) async fn verification(st: &AppState, typed: &str) -> AppResult<Verification> {
    let code = match rules::parse_code(typed) {
        Ok(c) => c,
        Err(e) => return Ok(Verification::Bad(e)),
    };
    Ok(match store::verify(&st.db, &code).await? {
        Some(v) => Verification::Found(Box::new(v)),
        None => Verification::Unknown,
    })
}

/// The message for a code that is well formed and checks out but was never issued.
pub(crate) const UNKNOWN: &str = "未查到该编号的证书：本系统从未颁发此证书，请谨防伪造证书";

async fn verify_page(State(st): State<AppState>, Path(typed): Path<String>) -> AppResult<Response> {
    let typed: String = typed.chars().filter(|c| !c.is_control()).take(64).collect();
    let layout = Layout::bare("证书验证");
    let (status, found, refusal) = match verification(&st, &typed).await? {
        Verification::Found(v) => (StatusCode::OK, Some(*v), None),
        Verification::Bad(e) => (StatusCode::BAD_REQUEST, None, Some(e.to_string())),
        Verification::Unknown => (StatusCode::NOT_FOUND, None, Some(UNKNOWN.to_owned())),
    };
    verify_response(status, VerifyPage { layout, typed, found, refusal })
}
