//! API tokens: an administrator issues one over an organisation of the scope; the token is
//! shown once; it can be revoked at any time.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_store::tokens::{self, ApiToken};
use xuepei_store::{StoreError, Tx, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let manage = Access::Page(Perm::TOKENS_EDIT);
    r.get("/admin/tokens", manage, list).post("/admin/tokens", manage, issue).post(
        "/admin/tokens/{id}/revoke",
        manage,
        revoke,
    )
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
    error: Option<String>,
    scope_default: String,
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    issued: Option<String>,
    error: Option<String>,
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
    render(&ListPage { layout, rows, issued, error, scope_default: ctx.scope.name().to_owned() })
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let notice = (params::text(&p, "done") == Some("revoked")).then(|| "令牌已吊销，使用它的请求将被拒绝".to_owned());
    page(&st, &ctx, None, None, notice).await
}

async fn issue(State(st): State<AppState>, ctx: Ctx, Form(f): Form<HashMap<String, String>>) -> AppResult<Response> {
    let get = |k: &str| f.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let days = match get("days").as_str() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Some(n),
            _ => {
                return refuse(
                    page(&st, &ctx, None, Some("有效天数应为1至3650之间的整数，留空表示长期有效".into()), None).await?,
                );
            }
        },
    };
    let scope = match org::resolve_ref(&st.db, &ctx.scope, &get("scope"), false).await {
        Ok(o) => o,
        Err(_) => {
            return refuse(
                page(&st, &ctx, None, Some("令牌的范围须为您管理范围内的组织（代码或名称）".into()), None).await?,
            );
        }
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match tokens::issue(
        &tx,
        &get("name"),
        scope.id,
        f.get("can_write").is_some_and(|v| v == "1"),
        days,
        ctx.session.account.id,
    )
    .await
    {
        Ok((_, token)) => {
            tx.commit().await?;
            Ok(page(&st, &ctx, Some(token), None, Some("令牌已签发。请立即复制保存，离开本页后将无法再次查看".into()))
                .await?
                .into_response())
        }
        Err(StoreError::Invalid(e)) => {
            refuse(page(&st, &ctx, None, Some(format!("令牌名称{}", e[0].message)), None).await?)
        }
        Err(e) => Err(e.into()),
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
