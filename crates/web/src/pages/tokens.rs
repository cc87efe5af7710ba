//! API tokens: an administrator issues one over an organisation of the scope; the token is
//! shown once; it can be revoked at any time.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::validate::FieldError;
use xuepei_store::tokens::{self, ApiToken};
use xuepei_store::{Tx, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let manage = Access::Page(Perm::TOKENS_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Admin,
        order: 10,
        key: "tokens",
        label: "接口令牌",
        href: "/admin/tokens",
        visible: |can| can(Perm::TOKENS_EDIT),
    })
    .audit_labels(&[("token.", "接口令牌")])
    .get("/admin/tokens", manage, list)
    .post("/admin/tokens", manage, issue)
    .post("/admin/tokens/{id}/revoke", manage, revoke)
}

struct Row {
    token: ApiToken,
    scope: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "tokens/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    issued: Option<String>,
    form: crate::form::Form,
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    issued: Option<String>,
    form: Option<crate::form::Form>,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    let list = tokens::list(&st.db, &ctx.scope).await?;
    let ids: Vec<i64> = list.iter().map(|t| t.scope_org_id).collect();
    let orgs = org::get_many(&st.db, &ctx.scope, &ids).await?;
    let now = chrono::Utc::now();
    let rows = list
        .into_iter()
        .map(|t| Row {
            scope: orgs.get(&t.scope_org_id).map(|o| o.display_name().to_owned()).unwrap_or_default(),
            state: if t.revoked_at.is_some() {
                "已吊销"
            } else if t.usable(now) {
                "有效"
            } else {
                "已过期"
            },
            token: t,
        })
        .collect();
    let layout = Layout::new(ctx, "接口令牌", "tokens").crumb("系统管理", None).crumb("接口令牌", None).notice(notice);
    let form = form.unwrap_or_else(|| crate::form::Form::new().with("scope", ctx.scope.name()));
    render(&ListPage { layout, rows, issued, form })
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let notice = (params::text(&p, "done") == Some("revoked")).then(|| "令牌已吊销，使用它的请求将被拒绝".to_owned());
    page(&st, &ctx, None, None, notice).await
}

async fn issue(State(st): State<AppState>, ctx: Ctx, Form(f): Form<Vec<(String, String)>>) -> AppResult<Response> {
    let mut form = crate::form::Form::submitted(f);
    let get = |k: &str| form.value(k).trim().to_owned();
    // Every field checked in one pass.
    let mut errors = Vec::new();
    let days = match get("days").as_str() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError {
                    field: "days",
                    message: "有效天数应为1至3650之间的整数，留空表示长期有效".into(),
                });
                None
            }
        },
    };
    let scope = match get("scope").as_str() {
        "" => {
            errors.push(FieldError {
                field: "scope", message: "请填写令牌的范围（组织代码或名称）".into()
            });
            None
        }
        s => match org::resolve_ref(&st.db, &ctx.scope, s, false).await {
            Ok(o) => Some(o),
            Err(_) => {
                errors.push(FieldError {
                    field: "scope",
                    message: "令牌的范围须为您管理范围内的组织（代码或名称）".into(),
                });
                None
            }
        },
    };
    if let Err(m) = xuepei_domain::org::check_text(&get("name"), 50, true) {
        errors.push(FieldError { field: "name", message: format!("用途名称{m}") });
    }
    let (Some(scope), true) = (scope, errors.is_empty()) else {
        form.add_errors(errors);
        return refuse(page(&st, &ctx, None, Some(form), None).await?);
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let issued =
        tokens::issue(&tx, &get("name"), scope.id, form.value("can_write") == "1", days, ctx.session.account.id).await;
    match issued {
        Ok((_, token)) => {
            tx.commit().await?;
            Ok(page(&st, &ctx, Some(token), None, Some("令牌已签发。请立即复制保存，离开本页后将无法再次查看".into()))
                .await?
                .into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            form.refuse(e)?;
            refuse(page(&st, &ctx, None, Some(form), None).await?)
        }
    }
}

/// A page shown again with what to fix.
fn refuse(page: Html<String>) -> AppResult<Response> {
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn revoke(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "接口令牌")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    tokens::revoke(&tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/tokens?done=revoked").into_response())
}
