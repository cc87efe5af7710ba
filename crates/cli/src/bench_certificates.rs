//! Certificates (issue 14's speed targets) inside `xuepei bench training`, through the web
//! server as users reach it:
//!
//! * a 100-person class's completion certificates as one PDF (`POST
//!   /classes/{id}/certificates.pdf`), with the memory the request added to the process —
//!   beside the same class's sign-in sheet as Excel (`POST /classes/{id}/sheet.xlsx`);
//! * `/verify/<code>` under 32 concurrent clients, p99 — beside `/healthz` under the same
//!   load, one after the other in the same run (`--verify-seconds` each).

use std::time::{Duration, Instant};

use chrono::Days;
use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::training::AttendanceMark;
use xuepei_store::accounts::{self, NewAccount, SecurityPolicy};
use xuepei_store::attendance::{self, MarkInput};
use xuepei_store::classes::sessions::{self, SessionInput};
use xuepei_store::enrolments::{self, PersonRef};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, certificates};

use crate::bench::{load_average, ms, pct, peak_rss_mb, s, sorted, status_mb};
use crate::bench_training::{Goal, Report, Row};

const CLIENTS: usize = 32;
const CLASS_SIZE: usize = 100;

/// Resets the process's peak resident memory (VmHWM) to what it holds now (Linux).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A held class of `people`, completed: two sessions of four hours, everyone present.
async fn completed_class(
    conn: &DatabaseConnection,
    campaign_id: i64,
    organiser: &str,
    people: &[i64],
) -> Result<i64, String> {
    let explain = crate::commands::explain;
    // Held at the campaign's start, which lies in the past.
    let sys = Scope::system();
    let start = xuepei_store::campaigns::get(conn, &sys, campaign_id).await.map_err(s)?.start_on;
    if start + Days::new(3) >= xuepei_domain::time::today() {
        return Err("轮训工作开始不足4天，无法准备已结业的班次".into());
    }
    let input = crate::bench_training::class_input(
        campaign_id,
        "全省村（社区）党组织书记示范培训班（结业）",
        organiser,
        start,
        people.len() as i64,
    );
    let tx = Tx::begin(conn, &sys, &Actor::operator("bench")).await.map_err(s)?;
    let c = xuepei_store::classes::create(&tx, &input).await.map_err(explain)?;
    let mut ids = Vec::new();
    for (slot, starts, ends) in [("am", "08:30", "12:00"), ("pm", "14:30", "18:00")] {
        let session = SessionInput {
            date: Some(start),
            slot: slot.into(),
            starts: starts.into(),
            ends: ends.into(),
            topic: "学习贯彻党的二十届三中全会精神".into(),
            mode: "lecture".into(),
            hours: "4".into(),
            ..SessionInput::default()
        };
        ids.push(sessions::add(&tx, c.id, &session).await.map_err(explain)?.id);
    }
    let refs: Vec<PersonRef> = people.iter().map(|p| PersonRef::Id(*p)).collect();
    enrolments::enrol(&tx, c.id, &refs).await.map_err(explain)?;
    for id in ids {
        let marks: Vec<MarkInput> = people
            .iter()
            .map(|p| MarkInput { who: PersonRef::Id(*p), mark: AttendanceMark::Present, reason: String::new() })
            .collect();
        attendance::mark(&tx, id, &marks).await.map_err(explain)?;
    }
    enrolments::complete(&tx, c.id).await.map_err(explain)?;
    tx.commit().await.map_err(s)?;
    Ok(c.id)
}

/// `clients` tasks fetching `urls` in turn for `secs` seconds: the latencies (ms) and how
/// many answers were not 200 or lacked `needle`.
async fn hammer(urls: &[String], needle: &'static str, clients: usize, secs: u64) -> Result<(Vec<f64>, usize), String> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().map_err(s)?;
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for k in 0..clients {
        let (client, urls) = (client.clone(), urls.to_vec());
        tasks.push(tokio::spawn(async move {
            let (mut times, mut bad) = (Vec::new(), 0usize);
            let mut i = k;
            while Instant::now() < until {
                let t = Instant::now();
                let ok = match client.get(&urls[i % urls.len()]).send().await {
                    Ok(r) if r.status() == 200 => r.text().await.is_ok_and(|b| b.contains(needle)),
                    _ => false,
                };
                times.push(ms(t));
                bad += usize::from(!ok);
                i += clients;
            }
            (times, bad)
        }));
    }
    let (mut all, mut bad) = (Vec::new(), 0);
    for t in tasks {
        let (times, b) = t.await.map_err(s)?;
        all.extend(times);
        bad += b;
    }
    Ok((sorted(all), bad))
}

/// POSTs a download with the session's token; its time (ms), status and body.
async fn download(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    csrf: &str,
) -> Result<(f64, u16, Vec<u8>), String> {
    let t = Instant::now();
    let r = client.post(url).header("cookie", cookie).form(&[("_csrf", csrf)]).send().await.map_err(s)?;
    let status = r.status().as_u16();
    let body = r.bytes().await.map_err(s)?.to_vec();
    Ok((ms(t), status, body))
}

/// Completes a class of 100 trainees, issues its certificates and measures the PDF and the
/// verification through a server on `conn`.
pub async fn measure(
    secs: u64,
    conn: &DatabaseConnection,
    label: &'static str,
    province: &xuepei_store::org::Org,
    campaign_id: i64,
    people: &[i64],
    report: &mut Report,
) -> Result<(), String> {
    let explain = crate::commands::explain;
    let people = &people[..people.len().min(CLASS_SIZE)];
    let t = Instant::now();
    let class_id = completed_class(conn, campaign_id, &province.code, people).await?;
    let prov = Scope::of_org(conn, province.id).await.map_err(s)?;
    let tx = Tx::begin(conn, &prov, &Actor::operator("bench")).await.map_err(s)?;
    let issued = certificates::issue_for_class(&tx, class_id).await.map_err(explain)?;
    tx.commit().await.map_err(s)?;
    let codes: Vec<String> =
        certificates::for_class(conn, &prov, class_id).await.map_err(s)?.into_iter().map(|c| c.code).collect();
    let prep = t.elapsed().as_secs_f64();

    // The server and a signed-in organiser of the province.
    let password = "Cert@2026bench";
    let username = format!("benchcert{}", label.len());
    let tx = Tx::begin(conn, &Scope::system(), &Actor::operator("bench")).await.map_err(s)?;
    let new = NewAccount {
        username: username.clone(),
        display_name: "证书基准测试".into(),
        person_id: None,
        org_id: province.id,
        scope_org_id: province.id,
        roles: AccountRoles::of(&[AccountRole::OrgStaff]),
        password: password.into(),
        must_change_password: false,
    };
    accounts::create(&tx, &new).await.map_err(explain)?;
    tx.commit().await.map_err(s)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(s)?;
    let base = format!("http://{}", listener.local_addr().map_err(s)?);
    let state = xuepei_web::AppState::new(conn.clone(), xuepei_web::WebConfig::default(), SecurityPolicy::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(xuepei_web::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));
    let result = async {
        let cookie = crate::bench::sign_in(&base, &username, password).await?;
        let client = reqwest::Client::new();
        let page = client
            .get(format!("{base}/classes/{class_id}/certificates"))
            .header("cookie", &cookie)
            .send()
            .await
            .map_err(s)?
            .text()
            .await
            .map_err(s)?;
        let csrf = page
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .ok_or("证书页面没有安全令牌")?
            .to_owned();

        // The class's PDF, three times; the memory the first request added to the process.
        let load = load_average();
        let (before, reset) = (status_mb("VmRSS:"), reset_peak());
        let pdf_url = format!("{base}/classes/{class_id}/certificates.pdf");
        let mut times = Vec::new();
        let mut pages = 0;
        let mut peak_added = 0.0;
        for i in 0..3 {
            let (took, status, body) = download(&client, &pdf_url, &cookie, &csrf).await?;
            if status != 200 || !body.starts_with(b"%PDF-") {
                return Err(format!("证书 PDF 返回 {status}：{}", String::from_utf8_lossy(&body[..body.len().min(300)])));
            }
            if i == 0 {
                peak_added = peak_rss_mb() - before;
            }
            pages = body.windows(11).filter(|w| w == b"/Type/Page/").count();
            times.push(took);
        }
        let mut refs = Vec::new();
        for _ in 0..3 {
            let (took, status, _) =
                download(&client, &format!("{base}/classes/{class_id}/sheet.xlsx"), &cookie, &csrf).await?;
            if status != 200 {
                return Err(format!("签到表导出返回 {status}"));
            }
            refs.push(took);
        }
        let (times, refs) = (sorted(times), sorted(refs));
        report.rows.push(Row {
            measure: format!("{} 人班次结业证书合并为一个 PDF（经网页下载）", people.len()),
            backend: label,
            n: times.len(),
            p50_ms: pct(&times, 50.0),
            figure_ms: times[times.len() - 1],
            goal: Goal::Total(3000.0),
            reference: "同一班次签到表 Excel 导出（最慢一次）".into(),
            reference_ms: refs[refs.len() - 1],
            load,
            correct: pages == people.len() && issued.issued == people.len() as u64 && reset && peak_added < 200.0,
            note: format!(
                "{pages} 页；首次请求使进程峰值内存增加 {peak_added:.0} MB（目标 < 200 MB，请求前常驻 {before:.0} MB）；颁发证书 {} 份，数据准备 {prep:.1}s",
                issued.issued
            ),
        });

        // Verification under 32 concurrent clients, then the reference under the same load.
        let urls: Vec<String> = codes.iter().map(|c| format!("{base}/verify/{c}")).collect();
        let load = load_average();
        let (times, bad) = hammer(&urls, "真实有效", CLIENTS, secs).await?;
        let (refs, ref_bad) = hammer(&[format!("{base}/healthz")], "ok", CLIENTS, secs).await?;
        report.rows.push(Row {
            measure: format!("证书核验 /verify/<code>（{CLIENTS} 个并发客户端，{secs} 秒）"),
            backend: label,
            n: times.len(),
            p50_ms: pct(&times, 50.0),
            figure_ms: pct(&times, 99.0),
            goal: Goal::P99(20.0),
            reference: format!("/healthz 同样 {CLIENTS} 个并发 p99"),
            reference_ms: pct(&refs, 99.0),
            load,
            correct: bad == 0 && ref_bad == 0 && !times.is_empty(),
            note: format!(
                "核验 {} 次（{:.0} 次/秒），失败 {bad}；参照 {} 次（{:.0} 次/秒）",
                times.len(),
                times.len() as f64 / secs.max(1) as f64,
                refs.len(),
                refs.len() as f64 / secs.max(1) as f64
            ),
        });
        Ok::<_, String>(())
    }
    .await;
    let _ = stop_tx.send(());
    let _ = server.await;
    result
}
