//! Organisations: kinds, sectors, codes and the materialized path of the affiliation tree.

use crate::import::{Column, ImportSpec};
use crate::labeled_enum;
use crate::labels::Labeled;
use crate::text::{compact, trim};
use crate::validate::{FieldError, Fields};

labeled_enum! {
    /// What an organisation is (组织类别).
    pub enum OrgKind {
        Committee => ("committee", "党委", ["党委员会", "委员会", "基层党委"]),
        WorkingCommittee => ("working_committee", "党工委", ["工委", "党的工作委员会", "工作委员会"]),
        LeadingGroup => ("leading_group", "党组", ["党组织党组"]),
        GeneralBranch => ("general_branch", "党总支", ["总支", "党总支部", "总支部委员会"]),
        Branch => ("branch", "党支部", ["支部", "支部委员会", "党支部委员会"]),
        Department => ("department", "工作部门", ["部门", "职能部门", "组织部门"]),
        Unit => ("unit", "行政事业单位", ["单位", "机关单位", "行政单位", "事业单位", "企业"]),
    }
}

labeled_enum! {
    /// The field an organisation works in (领域) [002 §一].
    pub enum Sector {
        Township => ("township", "乡镇", ["乡", "镇"]),
        Street => ("street", "街道", []),
        Village => ("village", "村", ["行政村", "村级"]),
        Community => ("community", "社区", ["城市社区"]),
        Organ => ("organ", "机关", ["党政机关", "机关单位"]),
        Institution => ("institution", "事业单位", ["事业"]),
        StateEnterprise => ("state_enterprise", "国有企业", ["国企", "国有"]),
        NonPublic => ("non_public", "非公有制经济组织", ["非公企业", "非公有制企业", "民营企业", "非公"]),
        Social => ("social", "社会组织", ["社团"]),
        Other => ("other", "其他", ["其它"]),
    }
}

/// The organisations import.
pub const ORG_IMPORT: ImportSpec = ImportSpec {
    kind: "orgs",
    title: "党组织和单位",
    columns: &[
        Column {
            key: "code",
            label: "组织代码",
            synonyms: &["代码", "党组织代码", "单位代码", "区划代码", "统计用区划代码", "组织编码"],
            required: true,
            example: "430602001001",
            help: "唯一；由行政区划产生的组织用统计用区划代码",
        },
        Column {
            key: "name",
            label: "组织名称",
            synonyms: &["党组织名称", "名称", "单位名称", "全称", "组织全称"],
            required: true,
            example: "中共岳阳楼区岳阳楼街道郭亮社区委员会",
            help: "",
        },
        Column {
            key: "short_name",
            label: "简称",
            synonyms: &["组织简称", "单位简称"],
            required: false,
            example: "郭亮社区",
            help: "",
        },
        Column {
            key: "parent",
            label: "上级组织",
            synonyms: &["上级党组织", "隶属组织", "上级单位", "上级党组织名称", "上级组织名称"],
            required: false,
            example: "岳阳楼街道党工委",
            help: "代码、全称或唯一的简称；可以是本表中的组织；与“上级组织代码”都填写时按代码确定，并核对名称",
        },
        Column {
            key: "parent_code",
            label: "上级组织代码",
            synonyms: &["上级党组织代码", "上级代码"],
            required: false,
            example: "430602001",
            help: "可不填；填写时按代码确定上级组织",
        },
        Column {
            key: "kind",
            label: "组织类别",
            synonyms: &["类别", "组织类型", "党组织类别", "类型", "党组织类型"],
            required: true,
            example: "党委",
            help: "党委、党工委、党组、党总支、党支部、工作部门、行政事业单位",
        },
        Column {
            key: "sector",
            label: "所属领域",
            synonyms: &["领域", "行业领域", "所在领域"],
            required: true,
            example: "社区",
            help: "乡镇、街道、村、社区、机关、事业单位、国有企业、非公有制经济组织、社会组织、其他",
        },
        Column {
            key: "authority",
            label: "干部管理单位",
            synonyms: &["管理单位", "干部管理权限", "管理部门"],
            required: false,
            example: "",
            help: "按干部管理权限负责本单位干部培训的组织部门",
        },
    ],
    pairs: &[("parent_code", "parent")],
};

pub const MAX_CODE_LEN: usize = 32;
pub const MAX_ORG_NAME_CHARS: usize = 100;
pub const MAX_SHORT_NAME_CHARS: usize = 50;

/// Normalises an organisation code: half-width, no spaces, upper case; letters, digits and
/// hyphens only.
pub fn normalize_code(input: &str) -> Result<String, String> {
    let s = compact(input).to_ascii_uppercase();
    if s.is_empty() {
        return Err("不能为空".into());
    }
    if s.len() > MAX_CODE_LEN {
        return Err(format!("不能超过{MAX_CODE_LEN}个字符"));
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err("只能包含数字、字母和短横线".into());
    }
    Ok(s)
}

/// Splits a reference written as "名称（代码）" — how exports show organisations, so that
/// they import back unambiguously — into the name and the code.
pub fn split_ref(text: &str) -> (&str, Option<&str>) {
    let t = trim(text);
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(body) = t.strip_suffix(close)
            && let Some(i) = body.rfind(open)
        {
            let code = &body[i + open.len_utf8()..];
            if !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return (trim(&body[..i]), Some(code));
            }
        }
    }
    (t, None)
}

/// "名称（代码）", the way exports name an organisation.
pub fn ref_text(name: &str, code: &str) -> String {
    format!("{name}（{code}）")
}

/// Checks a free-text name: trimmed, not empty, bounded, no control characters or markup
/// brackets (names end up in documents and file names).
pub fn check_text(input: &str, max_chars: usize, required: bool) -> Result<Option<String>, String> {
    let s = trim(input);
    if s.is_empty() {
        return if required { Err("不能为空".into()) } else { Ok(None) };
    }
    if s.chars().count() > max_chars {
        return Err(format!("不能超过{max_chars}个字"));
    }
    if let Some(c) =
        s.chars().find(|c| c.is_control() || crate::text::is_invisible_format(*c) || matches!(c, '<' | '>'))
    {
        return Err(if c.is_control() || crate::text::is_invisible_format(c) {
            "含有不可见的控制字符".into()
        } else {
            format!("不能包含字符“{c}”")
        });
    }
    Ok(Some(s.to_owned()))
}

/// The affiliation tree is stored as a materialized path of ids: `/1/5/203/`. Every
/// ancestor's path is a prefix, so a subtree is one range scan on an index.
pub mod path {
    /// The path of a child of `parent` (or of a root when `None`).
    pub fn child(parent: Option<&str>, id: i64) -> String {
        format!("{}{id}/", parent.unwrap_or("/"))
    }

    /// Bounds `[lo, hi)` such that a path lies in the subtree of `path` exactly when
    /// `lo <= p < hi` under byte order: '0' is the character after '/'.
    pub fn subtree_range(path: &str) -> (String, String) {
        let mut hi = path.trim_end_matches('/').to_owned();
        hi.push('0');
        (path.to_owned(), hi)
    }

    /// The ids along a path, root first.
    pub fn ids(path: &str) -> Vec<i64> {
        path.split('/').filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect()
    }

    pub fn depth(path: &str) -> usize {
        path.split('/').filter(|s| !s.is_empty()).count()
    }

    pub fn contains(ancestor: &str, path: &str) -> bool {
        path.starts_with(ancestor)
    }
}

/// A validated organisation as entered in a form or an import row; references to other
/// organisations are still text (a code or a name), resolved by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDraft {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub sector: Sector,
    /// The parent by code when the file gives one, else by name.
    pub parent_ref: Option<String>,
    /// The parent's name given beside its code, to check against the code.
    pub parent_name_check: Option<String>,
    pub authority_ref: Option<String>,
}

/// Validates organisation fields given by key (`code`, `name`, `short_name`, `kind`,
/// `sector`, `parent`, `authority`).
pub fn validate_org(f: &(impl Fields + ?Sized)) -> Result<OrgDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = f.collect(&mut errors, "code", normalize_code(f.get("code")));
    let name = f.collect(&mut errors, "name", check_text(f.get("name"), MAX_ORG_NAME_CHARS, true));
    let short_name = f.collect(&mut errors, "short_name", check_text(f.get("short_name"), MAX_SHORT_NAME_CHARS, false));
    let kind = f.collect(&mut errors, "kind", parse_required::<OrgKind>(f.get("kind")));
    let sector = f.collect(&mut errors, "sector", parse_required::<Sector>(f.get("sector")));
    let (parent_ref, parent_name_check) = match trim(f.get("parent_code")) {
        "" => (f.collect(&mut errors, "parent", check_text(f.get("parent"), MAX_ORG_NAME_CHARS, false)), Some(None)),
        _ => (
            f.collect(&mut errors, "parent_code", check_text(f.get("parent_code"), MAX_ORG_NAME_CHARS, false)),
            f.collect(&mut errors, "parent", check_text(f.get("parent"), MAX_ORG_NAME_CHARS, false)),
        ),
    };
    let authority_ref = f.collect(&mut errors, "authority", check_text(f.get("authority"), MAX_ORG_NAME_CHARS, false));
    match (code, name, short_name, kind, sector, parent_ref, parent_name_check, authority_ref) {
        (
            Some(code),
            Some(Some(name)),
            Some(short_name),
            Some(kind),
            Some(sector),
            Some(parent_ref),
            Some(parent_name_check),
            Some(authority_ref),
        ) if errors.is_empty() => {
            Ok(OrgDraft { code, name, short_name, kind, sector, parent_ref, parent_name_check, authority_ref })
        }
        _ => Err(errors),
    }
}

/// Whether a name given beside a code agrees with the organisation the code names: its
/// code, full name or short name, or a name that contains the short name or lies within
/// the full name ("荆竹村党总支" for 荆竹村) — rosters abbreviate, but another
/// organisation's name does not agree.
pub fn name_agrees(text: &str, code: &str, name: &str, short_name: Option<&str>) -> bool {
    let t = compact(text);
    if t.is_empty() || t.to_ascii_uppercase() == code {
        return true;
    }
    let name = compact(name);
    let short = short_name.map(compact).filter(|s| s.chars().count() >= 2);
    t == name || short.is_some_and(|s| t.contains(&s)) || (t.chars().count() >= 2 && name.contains(&t))
}

/// Parses a required enumeration cell, naming the allowed values when it fails.
pub fn parse_required<T: Labeled>(input: &str) -> Result<T, String> {
    if trim(input).is_empty() {
        return Err(format!("不能为空，可选：{}", T::allowed_labels()));
    }
    T::parse_label(input).ok_or_else(|| format!("“{}”不是可选值，可选：{}", trim(input), T::allowed_labels()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_beside_a_code_agrees_when_it_names_the_same_organisation() {
        let (code, name, short) = ("430603001203", "中共岳阳市云溪区长岭街道荆竹村总支部委员会", Some("荆竹村"));
        for ok in ["荆竹村", "荆竹村党总支", name, "430603001203", " 荆竹村 "] {
            assert!(name_agrees(ok, code, name, short), "{ok}");
        }
        for bad in ["八字门社区", "陆城镇", "村"] {
            assert!(!name_agrees(bad, code, name, short), "{bad}");
        }
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(normalize_code(" ４３０６０２ "), Ok("430602".into()));
        assert_eq!(normalize_code("ab-1"), Ok("AB-1".into()));
        assert!(normalize_code("43/06").is_err());
        assert!(normalize_code("").is_err());
    }

    #[test]
    fn subtree_range_is_exact() {
        let (lo, hi) = path::subtree_range("/1/5/");
        for inside in ["/1/5/", "/1/5/7/", "/1/5/70/9/"] {
            assert!(lo.as_str() <= inside && inside < hi.as_str(), "{inside}");
        }
        for outside in ["/1/50/", "/1/6/", "/1/", "/1/4/99/", "/1/59/"] {
            assert!(!(lo.as_str() <= outside && outside < hi.as_str()), "{outside}");
        }
        assert_eq!(path::child(Some("/1/5/"), 9), "/1/5/9/");
        assert_eq!(path::child(None, 3), "/3/");
        assert_eq!(path::ids("/1/5/9/"), vec![1, 5, 9]);
        assert_eq!(path::depth("/1/5/9/"), 3);
    }

    #[test]
    fn enum_labels_and_synonyms() {
        assert_eq!(OrgKind::parse_label("党总支"), Some(OrgKind::GeneralBranch));
        assert_eq!(OrgKind::parse_label("总支"), Some(OrgKind::GeneralBranch));
        assert_eq!(Sector::parse_label("国企"), Some(Sector::StateEnterprise));
        assert_eq!(Sector::parse_label(" 社区 "), Some(Sector::Community));
        assert!(parse_required::<Sector>("火星").unwrap_err().contains("可选：乡镇、街道"));
    }

    #[test]
    fn references_with_codes() {
        assert_eq!(split_ref("郭亮社区（430602001001）"), ("郭亮社区", Some("430602001001")));
        assert_eq!(split_ref("市委组织部(430600-ZZB)"), ("市委组织部", Some("430600-ZZB")));
        assert_eq!(split_ref("中共某某委员会（筹）"), ("中共某某委员会（筹）", None));
        assert_eq!(split_ref("430602"), ("430602", None));
        assert_eq!(ref_text("郭亮社区", "430602001001"), "郭亮社区（430602001001）");
    }

    #[test]
    fn text_checks() {
        assert_eq!(check_text("  岳阳楼区 ", 10, true), Ok(Some("岳阳楼区".into())));
        assert!(check_text("", 10, true).is_err());
        assert_eq!(check_text("", 10, false), Ok(None));
        assert!(check_text("<script>", 10, true).is_err());
        assert!(check_text("一二三四五六七八九十一", 10, true).is_err());
    }
}
