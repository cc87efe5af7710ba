//! Campaigns (轮训工作): the list of those visible to the scope, the form that issues or
//! changes one, its details with the rules in Chinese, and copying it into a new one.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_domain::training::rules::{BatchLengthRule, CampaignRules, QuotaRule, TargetFilter};
use xuepei_domain::training::{CampaignKind, ClassLevel, Fraction, Percent, TeachingMode};
use xuepei_domain::validate::FieldError;
use xuepei_store::campaigns::{self, Campaign, CampaignInput};
use xuepei_store::{StoreError, Tx, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 0,
        key: "campaigns",
        label: "轮训工作",
        href: "/campaigns",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .audit_labels(&[
        ("campaign.create", "发布轮训工作"),
        ("campaign.update", "修改轮训工作"),
        ("campaign.copy", "复制轮训工作"),
        ("campaign.delete", "删除轮训工作"),
    ])
    .get("/campaigns", view, list)
    .post("/campaigns", edit, create)
    .get("/campaigns/new", edit, new_form)
    .get("/campaigns/{id}", view, detail)
    .post("/campaigns/{id}", edit, update)
    .get("/campaigns/{id}/edit", edit, edit_form)
    .post("/campaigns/{id}/copy", edit, copy)
    .post("/campaigns/{id}/delete", edit, delete)
}

const PAGE_SIZE: u64 = 20;

/// A date typed as `YYYY-MM-DD` (full-width digits accepted); empty is `None`.
pub(crate) fn parse_date(
    field: &'static str,
    label: &str,
    text: &str,
    errs: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let t = xuepei_domain::text::to_halfwidth(text.trim());
    if t.is_empty() {
        return None;
    }
    // Four plain digits of year first: chrono also reads "+002026-01-01".
    let plain_year = t.split('-').next().is_some_and(|y| y.len() == 4 && y.bytes().all(|c| c.is_ascii_digit()));
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok().filter(|_| plain_year).or_else(|| {
        errs.push(FieldError {
            field,
            message: format!("{label}“{}”格式有误，应为YYYY-MM-DD，如2015-03-09", text.trim()),
        });
        None
    })
}

/// Codes of a closed list; unknown ones are refused with the list of known codes.
pub(crate) fn parse_codes<T: Labeled + PartialEq>(
    field: &'static str,
    label: &str,
    values: &[String],
    errs: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match T::from_code(v) {
            Some(x) if !out.contains(&x) => out.push(x),
            Some(_) => {}
            None => {
                let codes: Vec<&str> = T::ALL.iter().map(|x| x.code()).collect();
                errs.push(FieldError {
                    field, message: format!("{label}“{v}”无效，可选：{}", codes.join("、"))
                });
            }
        }
    }
    out
}

/// The rules as Chinese lines for the detail page and the form.
pub(crate) fn rule_lines(r: &CampaignRules) -> (Vec<String>, Vec<String>, String) {
    let batches = r
        .batch_lengths
        .iter()
        .map(|b| {
            let days = if b.min_days == b.max_days {
                format!("{}天", b.min_days)
            } else {
                format!("{}至{}天", b.min_days, b.max_days)
            };
            format!("{}：每期{days}", b.name)
        })
        .collect();
    let quotas =
        r.quotas.iter().map(|q| format!("{}：{}及以上培训不少于{}", q.name, q.level.label(), q.min_percent)).collect();
    let leave = format!("请假不超过本班总学时的{}，超过的作退学处理", r.max_leave_fraction);
    (batches, quotas, leave)
}

/// The target population in words.
fn target_line(t: &TargetFilter) -> String {
    let join = |v: Vec<&str>| if v.is_empty() { "不限".to_owned() } else { v.join("、") };
    format!(
        "领域：{}；班子职务：{}；职级：{}",
        join(t.sectors.iter().map(|s| s.label()).collect()),
        join(t.roles.iter().map(|s| s.label()).collect()),
        join(t.rank_levels.iter().map(|s| s.label()).collect())
    )
}

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Campaign>,
    can_edit: bool,
    pager: Pager,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let page = campaigns::list(&st.db, &ctx.scope, paging.at, paging.limit()).await?;
    let layout =
        Layout::new(&ctx, "轮训工作", "campaigns").crumb("教育培训", None).crumb("轮训工作", None).notice(notice(&p));
    render(&ListPage {
        layout,
        rows: page.items,
        can_edit: ctx.session.account.roles.can(Perm::TRAINING_EDIT),
        pager: Pager::new("/campaigns", &p, &[], &paging, (page.prev, page.next), None),
    })
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "轮训工作已发布",
            "updated" => "轮训工作已保存",
            "copied" => "已复制为新的轮训工作，请修改标题、文号和日期后保存",
            "deleted" => "轮训工作已删除",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "campaigns/detail.html")]
struct DetailPage {
    layout: Layout,
    c: Campaign,
    can_edit: bool,
    target: String,
    batches: Vec<String>,
    quotas: Vec<String>,
    leave: String,
    /// The campaign's classes the scope sees, and whether it may add one.
    classes: Vec<xuepei_store::classes::Class>,
    can_add_class: bool,
    /// The notice's adjustable header.
    doc: crate::form::Form,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    let layout = Layout::new(&ctx, c.title.clone(), "campaigns")
        .crumb("轮训工作", Some("/campaigns".into()))
        .crumb(c.title.clone(), None)
        .notice(notice(&p));
    let can_edit = c.editable_by(&ctx.scope) && ctx.session.account.roles.can(Perm::TRAINING_EDIT);
    let (batches, quotas, leave) = rule_lines(&c.rules);
    let target = target_line(&c.target);
    let classes = xuepei_store::classes::list_for_campaign(&st.db, &ctx.scope, c.id).await?;
    let can_add_class = ctx.session.account.roles.can(Perm::TRAINING_EDIT);
    let doc = crate::pages::notice::default_header(&c).form();
    render(&DetailPage { layout, c, can_edit, target, batches, quotas, leave, classes, can_add_class, doc })
}

#[derive(Template)]
#[template(path = "campaigns/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    kinds: Vec<(&'static str, &'static str)>,
    sectors: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    batch_rows: Vec<Vec<String>>,
    quota_rows: Vec<Vec<String>>,
    levels: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    cancel_href: String,
}

async fn form_page(ctx: &Ctx, editing: Option<&Campaign>, form: crate::form::Form) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        Some(c) => (format!("编辑：{}", c.title), format!("/campaigns/{}", c.id), format!("/campaigns/{}", c.id)),
        None => ("发布轮训工作".to_owned(), "/campaigns".to_owned(), "/campaigns".to_owned()),
    };
    let layout =
        Layout::new(ctx, title.clone(), "campaigns").crumb("轮训工作", Some("/campaigns".into())).crumb(title, None);
    render(&FormPage {
        layout,
        action,
        kinds: params::options::<CampaignKind>(),
        sectors: params::options::<Sector>(),
        roles: params::options::<Role>(),
        ranks: params::options::<RankLevel>(),
        batch_rows: form.rows_with_blanks(&BATCH_KEYS, 2),
        quota_rows: form.rows_with_blanks(&QUOTA_KEYS, 2),
        levels: params::options::<ClassLevel>(),
        modes: params::options::<TeachingMode>(),
        form,
        cancel_href: cancel,
    })
}

fn form_of(c: &Campaign) -> crate::form::Form {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut form = crate::form::Form::new()
        .with("title", c.title.clone())
        .with("doc_number", c.doc_number.clone().unwrap_or_default())
        .with("kind", c.kind.code())
        .with("issuer", c.issuer_code.clone())
        .with("start", c.start_on.to_string())
        .with("end", c.end_on.to_string())
        .with("plan_deadline", date(c.plan_deadline))
        .with("target_orgs", c.target.orgs.join("、"))
        .with("max_leave", c.rules.max_leave_fraction.to_string());
    form.set_list("sectors", c.target.sectors.iter().map(|s| s.code().to_owned()).collect());
    form.set_list("roles", c.target.roles.iter().map(|s| s.code().to_owned()).collect());
    form.set_list("rank_levels", c.target.rank_levels.iter().map(|s| s.code().to_owned()).collect());
    rules_into(&mut form, &c.rules);
    form
}

/// Shows rules in the form's tables and lists.
fn rules_into(form: &mut crate::form::Form, r: &CampaignRules) {
    let batches: Vec<Vec<String>> = r
        .batch_lengths
        .iter()
        .map(|b| vec![b.name.clone(), b.group.words(), b.min_days.to_string(), b.max_days.to_string()])
        .collect();
    form.set_rows(&BATCH_KEYS, &batches);
    let quotas: Vec<Vec<String>> = r
        .quotas
        .iter()
        .map(|q| {
            let percent = q.min_percent.to_string();
            let group = q.group.as_ref().map(TargetFilter::words).unwrap_or_default();
            vec![q.name.clone(), q.level.code().to_owned(), percent.trim_end_matches('%').to_owned(), group]
        })
        .collect();
    form.set_rows(&QUOTA_KEYS, &quotas);
    form.set_list("modes", r.modes.iter().map(|m| m.code().to_owned()).collect());
    form.set("topics", r.topics.join("\n"));
    form.set("materials", r.materials.join("\n"));
}

async fn new_form(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let mut form = crate::form::Form::new()
        .with("kind", CampaignKind::Rotation.code())
        .with("max_leave", CampaignRules::default().max_leave_fraction.to_string());
    rules_into(&mut form, &CampaignRules::default());
    if let Some(root) = ctx.scope.root_org_id() {
        form.set("issuer", org::get(&st.db, &ctx.scope, root).await?.code);
    }
    form_page(&ctx, None, form).await
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let c = editable(&st, &ctx, id).await?;
    Ok(form_page(&ctx, Some(&c), form_of(&c)).await?.into_response())
}

/// A campaign this scope issued; one it only sees is refused.
async fn editable(st: &AppState, ctx: &Ctx, id: i64) -> AppResult<Campaign> {
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    if !c.editable_by(&ctx.scope) {
        return Err(
            StoreError::Forbidden(format!("本轮训工作由{}发布，只有发文单位可以修改或复制", c.issuer_name)).into()
        );
    }
    Ok(c)
}

/// The inputs of a batch-length rule row and of a quota row.
const BATCH_KEYS: [&str; 4] = ["bl_name", "bl_group", "bl_min", "bl_max"];
const QUOTA_KEYS: [&str; 4] = ["q_name", "q_level", "q_percent", "q_group"];

/// Lines of a text area, blank ones dropped.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The rules typed in the form's tables and lists; `base` keeps what the form does not show.
fn rules_of(form: &crate::form::Form, base: CampaignRules, errs: &mut Vec<FieldError>) -> CampaignRules {
    let mut rules = base;
    let mut bad = |field: &'static str, m: String| errs.push(FieldError { field, message: m });
    let days = |v: &str| xuepei_domain::text::to_halfwidth(v).trim().parse::<u32>().ok();
    rules.batch_lengths = form
        .rows(&BATCH_KEYS)
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let group = TargetFilter::parse_words(&r[1])
                .map_err(|m| bad("batch_lengths", format!("每期天数第{}行：{m}", i + 1)))
                .ok()?;
            let (Some(min), Some(max)) = (days(&r[2]), days(&r[3])) else {
                bad("batch_lengths", format!("每期天数第{}行：最少、最多天数应为整数", i + 1));
                return None;
            };
            let name = if r[0].is_empty() { group.words() } else { r[0].clone() };
            Some(BatchLengthRule { name, group, min_days: min, max_days: max })
        })
        .collect();
    rules.quotas = form
        .rows(&QUOTA_KEYS)
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let n = i + 1;
            let Some(level) = ClassLevel::parse_label(&r[1]) else {
                bad("quotas", format!("比例要求第{n}行：请选择培训层级"));
                return None;
            };
            let percent = xuepei_domain::text::to_halfwidth(&r[2]);
            let percent = percent.trim().trim_end_matches('%').trim();
            let Some(min_percent) = percent.parse::<f64>().ok().and_then(|x| Percent::from_f64(x).ok()) else {
                bad("quotas", format!("比例要求第{n}行：比例“{}”应为0至100之间的数", r[2]));
                return None;
            };
            let group = match r[3].as_str() {
                "" => None,
                g => Some(
                    TargetFilter::parse_words(g).map_err(|m| bad("quotas", format!("比例要求第{n}行：{m}"))).ok()?,
                ),
            };
            Some(QuotaRule { name: r[0].clone(), level, min_percent, group })
        })
        .collect();
    rules.modes = parse_codes("modes", "教学方式", form.list("modes"), errs);
    rules.topics = lines(form.value("topics"));
    rules.materials = lines(form.value("materials"));
    rules
}

/// Splits a list of organisation codes typed in one field.
pub(crate) fn split_codes(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', ' ', '\n', '\r', '\t'])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The form's input, and what the form itself refused (dates, codes, the leave limit).
fn input_of(form: &crate::form::Form, base: CampaignRules) -> (CampaignInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let start = parse_date("start", "开始日期", form.value("start"), &mut errs);
    let end = parse_date("end", "结束日期", form.value("end"), &mut errs);
    let plan_deadline = parse_date("plan_deadline", "实施方案报备截止日期", form.value("plan_deadline"), &mut errs);
    let target = TargetFilter {
        orgs: split_codes(form.value("target_orgs")),
        sectors: parse_codes("sectors", "领域", form.list("sectors"), &mut errs),
        roles: parse_codes("roles", "班子职务", form.list("roles"), &mut errs),
        rank_levels: parse_codes("rank_levels", "职级", form.list("rank_levels"), &mut errs),
    };
    // The rules' tables are read only from a form that shows them (`rules_form`): a post
    // without them (a script) keeps the rules as they are.
    let mut rules = if form.value("rules_form").is_empty() { base } else { rules_of(form, base, &mut errs) };
    match Fraction::parse(form.value("max_leave")) {
        Ok(f) => rules.max_leave_fraction = f,
        Err(m) => errs.push(FieldError { field: "max_leave", message: format!("请假上限：{m}") }),
    }
    let input = CampaignInput {
        issuer: form.value("issuer").to_owned(),
        doc_number: form.value("doc_number").to_owned(),
        title: form.value("title").to_owned(),
        kind: form.value("kind").to_owned(),
        start,
        end,
        plan_deadline,
        target,
        rules,
    };
    (input, errs)
}

/// Writes through `write` when the form parsed; otherwise reports the form's and the
/// store's problems together, writing nothing.
pub(crate) async fn checked<T>(
    tx: &Tx,
    input: &CampaignInput,
    errs: Vec<FieldError>,
    write: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    crate::form::write_or_report(
        errs,
        async || campaigns::check(tx.conn(), tx.scope(), input).await,
        async || write(tx).await,
    )
    .await
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = input_of(&form, CampaignRules::default());
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, &input, errs, async |tx| campaigns::create(tx, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |c| format!("/campaigns/{}?done=created", c.id),
        async |f| form_page(&ctx, None, f).await,
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let current = editable(&st, &ctx, id).await?;
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = input_of(&form, current.rules.clone());
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, &input, errs, async |tx| campaigns::update(tx, id, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/campaigns/{id}?done=updated"),
        async |f| form_page(&ctx, Some(&current), f).await,
    )
    .await
}

async fn copy(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match campaigns::copy(&tx, id).await {
        Ok(c) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/campaigns/{}?done=copied", c.id)).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

async fn delete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match campaigns::delete(&tx, id).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/campaigns?done=deleted").into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_typed_plainly() {
        let mut errs = Vec::new();
        assert_eq!(parse_date("start", "开始日期", "2026-3-9", &mut errs), NaiveDate::from_ymd_opt(2026, 3, 9));
        assert_eq!(
            parse_date("start", "开始日期", "２０２６-０３-０９", &mut errs),
            NaiveDate::from_ymd_opt(2026, 3, 9)
        );
        assert!(errs.is_empty());
        for bad in ["+002026-01-01", "02026-01-01", "2026/03/09"] {
            assert_eq!(parse_date("start", "开始日期", bad, &mut errs), None, "{bad}");
        }
        assert_eq!(errs.len(), 3);
        assert!(errs[0].message.contains("格式有误"));
    }
}
