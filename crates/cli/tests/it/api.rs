//! The JSON API: tokens issued within a scope, lists and reads, imports, Chinese errors,
//! and an OpenAPI document that matches the routes and the responses.

use sea_orm::ConnectionTrait;
use serde_json::Value;
use xuepei_domain::accounts::AccountRole;
use xuepei_store::{Scope, tokens};
use xuepei_testkit::TestApp;

use crate::support::*;

/// Issues a token as a system administrator of `scope_code` through the pages.
async fn issue(app: &TestApp, scope_code: &str, write: bool) -> String {
    let mut form = vec![("name", "对接测试"), ("scope", scope_code)];
    if write {
        form.push(("can_write", "1"));
    }
    let (s, _, body) = app.post_form("/admin/tokens", &form).await;
    assert_eq!(s, 200, "{body}");
    let i = body.find("id=\"issued-token\">").expect("token shown once") + "id=\"issued-token\">".len();
    body[i..i + body[i..].find('<').expect("end")].to_owned()
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut rb = match method {
        "POST" => app.raw.post(app.url(path)),
        _ => app.raw.get(app.url(path)),
    };
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some((ct, b)) = body {
        rb = rb.header("content-type", ct).body(b);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Posts `rows` as a JSON import.
async fn import_json(app: &TestApp, token: &str, path: &str, rows: &Value) -> (u16, Value) {
    call(app, "POST", path, Some(token), Some(("application/json", rows.to_string().into_bytes()))).await
}

/// The issue form names every mistake at once, keeps what was typed, and issues nothing.
#[tokio::test]
async fn the_token_form_reports_every_mistake_at_once() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let (s, _, body) = admin
        .post_form("/admin/tokens", &[("name", ""), ("scope", QUYUAN), ("days", "三十"), ("can_write", "1")])
        .await;
    assert_eq!(s, 422, "{body}");
    for msg in ["用途名称不能为空", "须为您管理范围内的组织", "1至3650之间的整数", "共3处"] {
        assert!(body.contains(msg), "{msg}: {body}");
    }
    assert!(body.contains("value=\"三十\"") && !body.contains("issued-token"), "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn tokens_read_their_scope_only_and_errors_are_chinese_json() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let token = issue(&admin, YUNXI, false).await;
    // Control characters in a search or a cursor are ignored, never a database error.
    for path in [
        "/api/v1/orgs?q=a%00b",
        "/api/v1/orgs?after=a%00b",
        "/api/v1/people?after=a%00%091",
        "/api/v1/people?after=a%00~1&sort=name",
    ] {
        let (s, v) = call(&admin, "GET", path, Some(&token), None).await;
        assert_eq!(s, 200, "{path}: {v}");
    }
    let (s, v) = call(&admin, "GET", "/api/v1/orgs?limit=5", Some(&token), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(5));
    assert!(
        v["items"].as_array().expect("items").iter().all(|o| o["code"].as_str().unwrap_or_default().starts_with(YUNXI))
    );
    let next = v["next"].as_str().expect("more pages").to_owned();
    let (s, v2) = call(&admin, "GET", &format!("/api/v1/orgs?limit=5&after={next}"), Some(&token), None).await;
    assert_eq!(s, 200);
    assert_ne!(v["items"][0]["id"], v2["items"][0]["id"]);
    let (s, v) = call(&admin, "GET", "/api/v1/people?role=secretary&limit=500", Some(&token), None).await;
    assert_eq!(s, 200);
    assert!(
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|p| p["roles"].as_array().is_some_and(|r| r.iter().any(|x| x == "secretary")))
    );
    let other = by_code(&db.conn, QUYUAN_TOWN).await;
    let (s, v) = call(&admin, "GET", &format!("/api/v1/orgs/{}", other.id), Some(&token), None).await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "not_found");
    for (path, expected) in [
        ("/api/v1/people?limit=9999", "参数 limit 应为 1 至 500 之间的整数"),
        ("/api/v1/people?sector=mars", "参数 sector 的取值“mars”无效"),
        ("/api/v1/orgs?include_inactive=maybe", "参数 include_inactive 应为 true 或 false"),
    ] {
        let (s, v) = call(&admin, "GET", path, Some(&token), None).await;
        assert_eq!(s, 400, "{path}");
        assert!(v["error"]["message"].as_str().unwrap_or_default().contains(expected), "{path}: {v}");
    }
    let (s, v) = call(&admin, "GET", "/api/v1/orgs", None, None).await;
    assert_eq!(s, 401);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("缺少接口令牌"));
    let (s, _) = call(&admin, "GET", "/api/v1/orgs", Some("xp_not-a-real-token"), None).await;
    assert_eq!(s, 401);
    let (s, v) = call(
        &admin,
        "POST",
        "/api/v1/people/import",
        Some(&token),
        Some(("application/json", b"{\"rows\": []}".to_vec())),
    )
    .await;
    assert_eq!(s, 403, "read-only token: {v}");
    let (s, v) = call(&admin, "GET", "/api/v1/no/such", Some(&token), None).await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "not_found");
    db.cleanup().await;
}

#[tokio::test]
async fn imports_through_the_api_check_every_row_and_write_all_or_nothing() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let token = issue(&admin, YUNXI, true).await;
    let good = id_number(YUNXI, (1980, 1, 1), 11);
    let rows = serde_json::json!({ "rows": [
        { "name": "接口甲", "id_number": good, "org": JINGZHU },
        { "name": "接口乙", "id_number": wrong_check(&id_number(YUNXI, (1981, 1, 1), 21)), "org": JINGZHU },
    ] });
    let (s, v) = import_json(&admin, &token, "/api/v1/people/import", &rows).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["committed"], false);
    assert_eq!(v["errors"][0]["row"], 2);
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("校验位不正确"));
    let rows = serde_json::json!({ "rows": [{ "name": "接口甲", "id_number": good, "org": JINGZHU }] });
    let (s, v) = import_json(&admin, &token, "/api/v1/people/import?dry_run=true", &rows).await;
    assert_eq!((s, v["dry_run"].as_bool(), v["committed"].as_bool()), (200, Some(true), Some(false)));
    let (s, v) = import_json(&admin, &token, "/api/v1/people/import", &rows).await;
    assert_eq!((s, v["inserted"].as_u64()), (200, Some(1)), "{v}");
    // A field given for some rows only is refused rather than cleared in the others.
    let rows = serde_json::json!({ "rows": [
        { "name": "接口甲", "id_number": good, "org": JINGZHU, "phone": "13800000000" },
        { "name": "接口丁", "id_number": id_number(YUNXI, (1983, 3, 3), 41), "org": JINGZHU },
    ] });
    let (s, v) = import_json(&admin, &token, "/api/v1/people/import", &rows).await;
    assert_eq!((s, v["committed"].as_bool()), (422, Some(false)), "{v}");
    assert_eq!(v["errors"][0]["row"], 2);
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("缺少字段“phone”"), "{v}");
    let (_, listed) = call(&admin, "GET", "/api/v1/people?q=接口", Some(&token), None).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "nothing written: {listed}");
    assert!(listed["items"][0]["phone"].is_null(), "{listed}");
    // A spreadsheet body works the same.
    let file = xuepei_testkit::files::csv(
        &[vec!["姓名", "身份证号", "所在党组织"], vec!["接口丙", &id_number(YUNXI, (1982, 2, 2), 31), JINGZHU]],
        xuepei_testkit::files::Encoding::Gbk,
    );
    let (s, v) =
        call(&admin, "POST", "/api/v1/people/import?filename=roster.csv", Some(&token), Some(("text/csv", file))).await;
    assert_eq!((s, v["inserted"].as_u64()), (200, Some(1)), "{v}");
    // Malformed JSON and wrong types.
    for (body, expected) in [
        (b"{\"rows\": [".to_vec(), "JSON 格式错误"),
        (b"{\"rows\": 5}".to_vec(), "缺少数组 rows"),
        (b"{\"rows\": [{\"name\": [1,2]}]}".to_vec(), "应为字符串"),
        (b"{\"rows\": [{\"nmae\": \"x\"}]}".to_vec(), "未知字段“nmae”"),
        (b"{\"rows\": [\"x\"]}".to_vec(), "应为对象"),
    ] {
        let (s, v) =
            call(&admin, "POST", "/api/v1/people/import", Some(&token), Some(("application/json", body))).await;
        assert_eq!(s, 400, "{v}");
        assert!(v["error"]["message"].as_str().unwrap_or_default().contains(expected), "{v}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let token = issue(&admin, YUNXI, false).await;
    assert_eq!(call(&admin, "GET", "/api/v1/orgs", Some(&token), None).await.0, 200);
    let list = tokens::list(&db.conn, &Scope::system()).await.expect("tokens");
    let (s, _, _) = admin.post_form(&format!("/admin/tokens/{}/revoke", list[0].id), &[]).await;
    assert_eq!(s, 303);
    let (s, v) = call(&admin, "GET", "/api/v1/orgs", Some(&token), None).await;
    assert_eq!(s, 401);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("已被吊销"));
    let token2 = issue(&admin, YUNXI, false).await;
    db.conn
        .execute_unprepared("UPDATE api_tokens SET expires_at = created_at WHERE revoked_at IS NULL")
        .await
        .expect("expire");
    let (s, v) = call(&admin, "GET", "/api/v1/orgs", Some(&token2), None).await;
    assert_eq!(s, 401);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("已过期"));
    db.cleanup().await;
}

/// Required properties of a schema (after following one `$ref`), checked on a value.
fn check_required(doc: &Value, schema: &Value, v: &Value, at: &str) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        assert!(v.get(key).is_some(), "{at}: missing “{key}” in {v}");
    }
    if let (Some(items), Some(arr)) = (schema["properties"]["items"]["items"].as_object(), v["items"].as_array()) {
        for x in arr.iter().take(3) {
            check_required(doc, &Value::Object(items.clone()), x, at);
        }
    }
}

#[tokio::test]
async fn the_openapi_document_matches_the_routes_and_the_responses() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let token = issue(&admin, YUNXI, true).await;
    let (s, doc) = call(&admin, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, ops)| ops.as_object().into_iter().flatten().map(move |(m, _)| (m.to_uppercase(), p.clone())))
        .collect();
    let served: std::collections::BTreeSet<(String, String)> = xuepei_web::route_list()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, served, "every API route is documented and every documented route is served");
    let org = by_code(&db.conn, JINGZHU).await;
    let person = someone_under(&db.conn, JINGZHU).await;
    for (method, path) in &documented {
        let concrete = path.replace("{id}", &if path.contains("people") { person.id } else { org.id }.to_string());
        let body = (method == "POST").then(|| ("application/json", b"{\"rows\": []}".to_vec()));
        let (s, v) = call(&admin, method, &concrete, Some(&token), body).await;
        let op = &doc["paths"][path][method.to_lowercase()];
        let resp = &op["responses"][s.to_string()];
        assert!(resp.is_object(), "{method} {path}: status {s} is not documented");
        check_required(&doc, &resp["content"]["application/json"]["schema"], &v, &format!("{method} {path}"));
    }
    // Documented error responses have the documented shape.
    let (s, v) = call(&admin, "GET", "/api/v1/orgs", None, None).await;
    assert!(doc["paths"]["/api/v1/orgs"]["get"]["responses"][s.to_string()].is_object());
    check_required(&doc, &serde_json::json!({ "$ref": "#/components/schemas/Error" }), &v, "401");
    db.cleanup().await;
}

#[tokio::test]
async fn a_token_works_only_while_its_issuer_and_its_organisation_are_active() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let token = issue(&admin, YUNXI, false).await;
    assert_eq!(call(&admin, "GET", "/api/v1/orgs", Some(&token), None).await.0, 200);
    // The issuing account is disabled.
    db.conn.execute_unprepared("UPDATE accounts SET active = false WHERE username = 'xitong'").await.expect("disable");
    let (s, v) = call(&admin, "GET", "/api/v1/orgs", Some(&token), None).await;
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"]["code"], "unauthorized");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("签发账号已停用"), "{v}");
    db.conn.execute_unprepared("UPDATE accounts SET active = true WHERE username = 'xitong'").await.expect("enable");
    assert_eq!(call(&admin, "GET", "/api/v1/orgs", Some(&token), None).await.0, 200);
    // Its organisation is dissolved.
    let county = by_code(&db.conn, YUNXI).await;
    db.conn
        .execute_unprepared(&format!("UPDATE organizations SET active = false WHERE id = {}", county.id))
        .await
        .expect("dissolve");
    assert_eq!(call(&admin, "GET", "/api/v1/orgs", Some(&token), None).await.0, 401);
    db.cleanup().await;
}

#[tokio::test]
async fn a_body_over_the_limit_answers_the_documented_json_error() {
    let db = seeded().await;
    account(&db.conn, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let app = TestApp::spawn_with(&db, xuepei_web::WebConfig { upload_limit: 1024, ..Default::default() }).await;
    assert_eq!(app.login("xitong", PASSWORD).await, 303);
    let token = issue(&app, YUNXI, true).await;
    // Past what the server reads at all (the limit and room for form fields).
    let big = vec![b'a'; 200 * 1024];
    let (s, v) = call(&app, "POST", "/api/v1/people/import", Some(&token), Some(("text/csv", big))).await;
    assert_eq!(s, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_large", "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("超过上传大小限制"), "{v}");
    let (_, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert!(doc["paths"]["/api/v1/people/import"]["post"]["responses"]["413"].is_object(), "413 is documented");
    // A method the API does not serve answers JSON too.
    let r = app.raw.delete(app.url("/api/v1/orgs")).bearer_auth(&token).send().await.expect("delete");
    assert_eq!(r.status(), 405);
    let v: Value = r.json().await.expect("a JSON error");
    assert!(v["error"]["message"].is_string(), "{v}");
    db.cleanup().await;
}
