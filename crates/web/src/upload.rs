//! A form that carries one file (a filing's attachment, a base's evidence): its text fields
//! and the file, read within the upload limit, with a Chinese reason for whatever goes wrong.

use axum::extract::Multipart;
use axum::http::StatusCode;

use crate::AppState;
use crate::params::Params;

/// The text fields and the file (`file`) of a form.
pub struct Upload {
    pub fields: Params,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads the form; `what` names the file in the messages (附件, 佐证材料).
pub async fn read(st: &AppState, mut mp: Multipart, what: &str) -> Result<Upload, String> {
    let too_big = || format!("{what}超过上传大小限制（{}MB），请压缩或拆分后上传", st.config.upload_limit / 1_048_576);
    let mut fields = Params::new();
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err("上传未完成或格式有误，请重新上传".into()),
        };
        let key = field.name().unwrap_or_default().to_owned();
        if key == "file" {
            let name = field.file_name().unwrap_or(what).to_owned();
            let bytes = field.bytes().await.map_err(|_| format!("{what}读取失败，请重新上传"))?;
            if bytes.len() > st.config.upload_limit {
                return Err(too_big());
            }
            file = Some((name, bytes.to_vec()));
        } else if !key.is_empty() {
            // Text fields are short; a long one is cut rather than held.
            let text = field.text().await.map_err(|_| "上传未完成或格式有误，请重新上传".to_owned())?;
            fields.insert(key, text.chars().take(1000).collect());
        }
    }
    match file.filter(|(_, b)| !b.is_empty()) {
        Some((name, bytes)) => Ok(Upload { fields, name, bytes }),
        None => Err(format!("请选择要上传的{what}（不能是空文件）")),
    }
}
