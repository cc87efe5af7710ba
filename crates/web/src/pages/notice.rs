//! The campaign notice (轮训通知) as a Word document in the official layout, written from
//! the campaign's rules, its organisers and their filing duties; the user adjusts only the
//! header (mark, number, date, addressees) on the campaign's page.

use axum::extract::{Form as AxForm, Path, State};
use axum::response::Response;
use xuepei_domain::accounts::Perm;
use xuepei_domain::time::{chinese_day, local};
use xuepei_domain::training::notice::{self, NoticeFacts, Route};
use xuepei_office::gongwen::{self, Annex, Gongwen};
use xuepei_store::campaigns::Campaign;
use xuepei_store::filings;

use crate::AppState;
use crate::auth::Ctx;
use crate::documents::{Header, send_docx};
use crate::error::AppResult;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    r.audit_labels(&[("campaign.notice", "导出轮训通知")]).post(
        "/campaigns/{id}/notice.docx",
        Access::Page(Perm::TRAINING_VIEW),
        notice_docx,
    )
}

/// The header as the campaign states it: the issuer's mark, its number, the day it was
/// issued and the target organisations as addressees.
pub fn default_header(c: &Campaign) -> Header {
    let to: Vec<&str> = c.target_orgs.iter().map(|o| o.name.as_str()).collect();
    Header {
        mark: format!("{}文件", c.issuer_name),
        number: c.doc_number.clone().unwrap_or_default(),
        date: local(c.created_at).date(),
        addressees: if to.is_empty() { c.issuer_name.clone() } else { to.join("，") },
    }
}

/// The title in the customary form: 关于开展……的通知, unless it already is a notice's title.
fn notice_title(title: &str) -> String {
    if title.starts_with("关于") && title.ends_with("通知") {
        title.to_owned()
    } else {
        format!("关于开展{title}的通知")
    }
}

async fn notice_docx(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(p): AxForm<Params>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let (c, terms, filers) = filings::routes(&st.db, &ctx.scope, id).await?;
    let h = Header::posted(default_header(&c), &p)?;
    let facts = NoticeFacts {
        issuer: c.issuer_name.clone(),
        title: c.title.clone(),
        start: c.start_on,
        end: c.end_on,
        target_orgs: c.target_orgs.iter().map(|o| o.name.clone()).collect(),
        target: c.target.clone(),
        rules: c.rules.clone(),
        plan_deadline: Some(terms.plan_deadline),
        routes: filers.iter().map(|f| Route { filer: f.org.name.clone(), receiver: f.receiver.name.clone() }).collect(),
        progress: terms.progress.clone(),
        summary_deadline: Some(terms.summary_deadline),
    };
    let mut annexes = Vec::new();
    if !filers.is_empty() {
        annexes.push(Annex {
            title: "集中轮训实施方案等材料报送安排".into(),
            headers: ["序号", "组织单位", "报送对象", "实施方案", "培训情况", "工作总结"].map(String::from).to_vec(),
            rows: filers
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    vec![
                        (i + 1).to_string(),
                        f.org.name.clone(),
                        f.receiver.name.clone(),
                        format!("{}前", chinese_day(terms.plan_deadline)),
                        terms.progress.clone(),
                        format!("{}前", chinese_day(terms.summary_deadline)),
                    ]
                })
                .collect(),
            lines: vec![],
        });
    }
    let signer = h.signer(&c.issuer_name);
    let g = Gongwen {
        mark: Some(h.mark),
        number: Some(h.number).filter(|n| !n.is_empty()),
        title: notice_title(&c.title),
        addressees: Some(h.addressees).filter(|a| !a.is_empty()),
        body: notice::body(&facts),
        attachments: annexes.iter().map(|a| a.title.clone()).collect(),
        signer: signer.clone(),
        date: h.date,
        printed_by: Some(signer),
        annexes,
    };
    let what = format!("{}的通知", c.title);
    send_docx(&st, &ctx, "campaign.notice", what, format!("轮训通知_{}", c.title), move || gongwen::write(&g)).await
}
