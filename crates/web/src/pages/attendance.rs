//! Attendance for the organiser and the delivering institution: the roll of a session
//! (点名) with ticks and corrections, the roll-call sheet (签到表) printable and as Excel,
//! and the projector page with the rotating QR code and the short code.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::AttendanceMark;
use xuepei_office::write::{Cell, Export};
use xuepei_store::Tx;
use xuepei_store::attendance::{self, MarkInput, Projector, Roll, Sheet};
use xuepei_store::enrolments::PersonRef;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::params;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.get("/sessions/{id}/roll", view, roll_page)
        .post("/sessions/{id}/roll", edit, roll_save)
        .get("/sessions/{id}/projector", view, projector)
        .get("/classes/{id}/sheet", view, sheet_page)
        .post("/classes/{id}/sheet.xlsx", view, sheet_xlsx)
}

#[derive(Template)]
#[template(path = "attendance/roll.html")]
struct RollPage {
    layout: Layout,
    roll: Roll,
    marks: Vec<(&'static str, &'static str)>,
    form: crate::form::Form,
    can_edit: bool,
}

async fn roll_view(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    form: crate::form::Form,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    // Reading the roll gives the automatic marks of an ended session: a write.
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let roll = match attendance::roll(&tx, id).await {
        Ok(r) => {
            tx.commit().await?;
            r
        }
        Err(e) => {
            tx.rollback().await?;
            return Err(e.into());
        }
    };
    let layout = Layout::new(ctx, format!("点名：{}", roll.session.topic), "classes")
        .crumb("班次", Some("/classes".into()))
        .crumb(roll.class.title.clone(), Some(format!("/classes/{}", roll.class.id)))
        .crumb("点名", None)
        .notice(notice);
    let can_edit = ctx.session.account.roles.can(Perm::TRAINING_EDIT)
        && roll.class.status != xuepei_store::classes::ClassStatus::Completed;
    render(&RollPage { layout, roll, marks: params::options::<AttendanceMark>(), form, can_edit })
}

async fn roll_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(p): axum::extract::Query<params::Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "课程安排")?;
    let notice = (params::text(&p, "done") == Some("saved")).then(|| "考勤已保存".to_owned());
    roll_view(&st, &ctx, id, crate::form::Form::new(), notice).await
}

/// The roll form: `mark_<person id>` with a mark code, `reason_<person id>` for a correction.
async fn roll_save(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "课程安排")?;
    let form = crate::form::Form::submitted(fields.clone());
    let reasons: std::collections::HashMap<i64, String> =
        fields.iter().filter_map(|(k, v)| Some((k.strip_prefix("reason_")?.parse().ok()?, v.clone()))).collect();
    let records: Vec<MarkInput> = fields
        .iter()
        .filter_map(|(k, v)| {
            let pid: i64 = k.strip_prefix("mark_")?.parse().ok()?;
            let mark = AttendanceMark::from_code(v.trim())?;
            Some(MarkInput { who: PersonRef::Id(pid), mark, reason: reasons.get(&pid).cloned().unwrap_or_default() })
        })
        .collect();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = attendance::mark(&tx, id, &records).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/sessions/{id}/roll?done=saved"),
        async |f| roll_view(&st, &ctx, id, f, None).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "attendance/sheet.html")]
struct SheetPage {
    layout: Layout,
    sheet: Sheet,
}

async fn read_sheet(st: &AppState, ctx: &Ctx, id: i64) -> AppResult<Sheet> {
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match attendance::sheet(&tx, id).await {
        Ok(s) => {
            tx.commit().await?;
            Ok(s)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

async fn sheet_page(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let sheet = read_sheet(&st, &ctx, id).await?;
    let layout = Layout::new(&ctx, format!("签到表：{}", sheet.class.title), "classes")
        .crumb("班次", Some("/classes".into()))
        .crumb(sheet.class.title.clone(), Some(format!("/classes/{}", sheet.class.id)))
        .crumb("签到表", None);
    render(&SheetPage { layout, sheet })
}

async fn sheet_xlsx(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let sheet = read_sheet(&st, &ctx, id).await?;
    let what = format!("签到表_{}", sheet.class.title);
    crate::pages::send_export(&st, &ctx, &what, |path| async move {
        let heads: Vec<String> = sheet
            .sessions
            .iter()
            .map(|s| format!("{} {} {}", s.date.format("%m-%d"), s.slot.label(), s.topic))
            .collect();
        let mut columns: Vec<(&str, f64)> = vec![("序号", 6.0), ("姓名", 10.0), ("身份证号", 21.0), ("派出单位", 24.0)];
        columns.extend(heads.iter().map(|h| (h.as_str(), 14.0)));
        columns.push(("请假学时", 10.0));
        columns.push(("状态", 10.0));
        let w = |e: xuepei_office::write::WriteError| crate::exports::ExportError::Write(e.to_string());
        let title = format!(
            "{}签到表（{}至{}）",
            sheet.class.title,
            xuepei_domain::time::chinese_day(sheet.class.start_on),
            xuepei_domain::time::chinese_day(sheet.class.end_on)
        );
        let mut x = Export::with_headers("签到表", &title, &columns).map_err(w)?;
        for (i, r) in sheet.rows.iter().enumerate() {
            let mut cells = vec![
                Cell::from((i + 1) as i64),
                Cell::Text(r.name.clone()),
                Cell::Text(r.masked_id()),
                Cell::Text(r.org_name.clone()),
            ];
            cells.extend(r.cells().into_iter().map(|c| Cell::Text(c.to_owned())));
            cells.push(Cell::Number(r.leave_hours.as_f64()));
            cells.push(Cell::Text(r.status.label().to_owned()));
            x.row(&cells).map_err(w)?;
        }
        let n = x.rows_written();
        x.save(&path).map_err(w)?;
        Ok(n)
    })
    .await
}

#[derive(Template)]
#[template(path = "attendance/projector.html")]
struct ProjectorPage {
    layout: Layout,
    p: Projector,
    url: String,
    /// Where to type the six-digit code.
    code_url: String,
    svg: String,
    refresh: i64,
}

/// The address the trainee's phone opens: absolute when the host is known.
pub(crate) fn absolute(st: &AppState, headers: &HeaderMap, path: &str) -> String {
    if let Some(base) = &st.config.public_url {
        return format!("{base}{path}");
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).filter(|h| {
        !h.is_empty() && h.len() < 200 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    });
    let https = st.config.cookie_secure
        || (st.config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.rsplit(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))));
    match host {
        Some(h) => format!("{}://{h}{path}", if https { "https" } else { "http" }),
        None => path.to_owned(),
    }
}

/// A QR code of `text` as an SVG element (no XML declaration), black on white.
pub(crate) fn qr_svg(text: &str) -> AppResult<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(format!("二维码生成失败：{e}")))?;
    let s = code
        .render::<svg::Color<'_>>()
        .min_dimensions(360, 360)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(match s.find("<svg") {
        Some(i) => s[i..].to_owned(),
        None => s,
    })
}

async fn projector(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "课程安排")?;
    let p = attendance::projector(&st.db, &ctx.scope, id).await?;
    let url = absolute(&st, &headers, &format!("/checkin/{}?c={}", p.session.id, p.link_code));
    let svg = qr_svg(&url)?;
    let layout = Layout::new(&ctx, format!("签到：{}", p.session.topic), "classes");
    let refresh = p.seconds_left.clamp(1, 30);
    let code_url = absolute(&st, &headers, "/checkin");
    render(&ProjectorPage { layout, p, url, code_url, svg, refresh })
}
