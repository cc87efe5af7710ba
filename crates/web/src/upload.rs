//! A form that carries a file (a filing's attachment, a base's evidence, a credit claim's
//! proof): its text fields and the file, read within the upload limit, with a Chinese reason
//! for whatever goes wrong.

use axum::extract::Multipart;
use axum::http::StatusCode;

use crate::AppState;

/// The text fields of a form, in order, and its file if one was chosen.
pub struct Upload {
    pub fields: Vec<(String, String)>,
    /// (name, bytes), never empty.
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    /// A text field (empty when absent).
    pub fn field(&self, key: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }
}

/// Reads the form; its file is the field `file_field`, named `what` in the messages (附件,
/// 佐证材料, 证明材料).
pub async fn read(st: &AppState, mut mp: Multipart, file_field: &str, what: &str) -> Result<Upload, String> {
    let too_big = || format!("{what}超过上传大小限制（{}MB），请压缩或拆分后上传", st.config.upload_limit / 1_048_576);
    let mut fields = Vec::new();
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err("上传未完成或格式有误，请重新上传".into()),
        };
        let key = field.name().unwrap_or_default().to_owned();
        if key == file_field {
            let name = field.file_name().unwrap_or(what).to_owned();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_big()
                } else {
                    format!("{what}读取失败，请重新上传")
                }
            })?;
            if bytes.len() > st.config.upload_limit {
                return Err(too_big());
            }
            if !bytes.is_empty() {
                file = Some((name, bytes.to_vec()));
            }
        } else if !key.is_empty() {
            // Text fields are short; a long one is cut rather than held.
            let text = field.text().await.map_err(|_| "上传未完成或格式有误，请重新上传".to_owned())?;
            fields.push((key, xuepei_domain::text::strip_invisible(&text).chars().take(2000).collect()));
        }
    }
    Ok(Upload { fields, file })
}

/// Reads a form whose file is required.
pub async fn read_file(st: &AppState, mp: Multipart, file_field: &str, what: &str) -> Result<Upload, String> {
    let u = read(st, mp, file_field, what).await?;
    if u.file.is_none() {
        return Err(format!("请选择要上传的{what}（不能是空文件）"));
    }
    Ok(u)
}
